// SPDX-License-Identifier: MIT
// C++ shapes for the PDB reader tests: classes with base classes (single,
// multiple, virtual), virtual functions (vtable pointer, methods and
// overloads), static data members, nested types, a class template
// instance, an enum class, namespaces, references, pointers to members and
// a forward-declared class defined later.  Built with clang++
// --target=*-pc-windows-msvc -gcodeview -fno-rtti -fno-exceptions and no
// runtime, so nothing here may need one (no new/delete, no pure virtuals).
namespace nt {

struct Later;

struct Base {
	int base_a;
	short base_b;
	virtual int Get() { return base_a; }
	virtual int Get(int x) { return base_a + x; }
	static int instances;
};

struct Second {
	long long second;
	int Twice() const { return (int)second * 2; }
};

class Derived : public Base, public Second {
public:
	enum class Mode : unsigned char { Off = 0, On = 1, Auto = 0xff };
	struct Inner {
		unsigned int bits : 12;
		unsigned int more : 20;
	};
	Inner inner[2];
	Mode mode;
	Later *later;
	int &ref;
	int Derived::*member_ptr;
	int (Base::*method_ptr)();
	int Get() override { return base_a * 2; }
	static const int kConstant = 42;
	Derived(int &r) : ref(r), member_ptr(nullptr), method_ptr(nullptr) {}
};

struct VirtualBase : virtual Base {
	int vb;
};

template <typename T, int N> struct Array {
	T items[N];
	int count;
};

struct Later {
	Array<short, 5> shorts;
	Array<Derived *, 3> objects;
	double value;
};

int Base::instances = 0;

} // namespace nt

int g_storage = 7;
nt::Derived g_derived(g_storage);
nt::Later g_later;
nt::VirtualBase *g_vbase;
const int nt::Derived::kConstant;

extern "C" int CxxUse(void)
{
	return g_derived.Get() + g_derived.Twice() + g_later.shorts.count +
	       nt::Base::instances + (int)g_derived.mode + g_vbase->vb +
	       nt::Derived::kConstant;
}
