/* SPDX-License-Identifier: MIT */
/*
 * hvs_py_layout: prints, as JSON, the size of every C structure the Python
 * binding mirrors with ctypes (python/hvsavedstate/_lib.py) and the offset
 * of each field, as this compiler lays them out.  test_structs.py compares
 * them with ctypes.sizeof() / the ctypes field offsets, so that a header
 * change the binding does not follow fails a test instead of corrupting
 * memory.  Public headers only.
 */
#include <stddef.h>
#include <stdio.h>

#include "hvs/hvs.h"
#include "hvs/vmrs_writer.h"

static int first_struct = 1, first_field;

static void begin(const char *name, size_t size)
{
	printf("%s\n  \"%s\": {\"size\": %zu, \"fields\": {", first_struct ? "{" : ",", name, size);
	first_struct = 0;
	first_field = 1;
}

static void field(const char *name, size_t off)
{
	printf("%s\"%s\": %zu", first_field ? "" : ", ", name, off);
	first_field = 0;
}

static void end(void)
{
	printf("}}");
}

#define S(t) begin(#t, sizeof(t))
#define F(t, f) field(#f, offsetof(t, f))

int main(void)
{
	S(hvs_allocator); F(hvs_allocator, malloc); F(hvs_allocator, realloc);
	F(hvs_allocator, free); F(hvs_allocator, ud); end();
	S(hvs_open_opts); F(hvs_open_opts, alloc); F(hvs_open_opts, errbuf);
	F(hvs_open_opts, errbuf_size); F(hvs_open_opts, flags); F(hvs_open_opts, problem);
	F(hvs_open_opts, problem_ud); F(hvs_open_opts, reason); end();
	S(hvs_mem_range); F(hvs_mem_range, gpa); F(hvs_mem_range, size);
	F(hvs_mem_range, raw_offset); end();
	S(hvs_raw_extent); F(hvs_raw_extent, gpa); F(hvs_raw_extent, size);
	F(hvs_raw_extent, file_offset); end();
	S(hvs_image_opts); F(hvs_image_opts, base); F(hvs_image_opts, format);
	F(hvs_image_opts, vsv_path); F(hvs_image_opts, raw_layout);
	F(hvs_image_opts, raw_layout_count); F(hvs_image_opts, cache_blocks); end();
	S(hvs_partition_info); F(hvs_partition_info, arch); F(hvs_partition_info, vendor);
	F(hvs_partition_info, vtl_mask); F(hvs_partition_info, guest_os_id_mask);
	F(hvs_partition_info, guest_os_id); F(hvs_partition_info, vm_version);
	F(hvs_partition_info, nested_enabled); end();
	S(hvs_vp_info); F(hvs_vp_info, index); F(hvs_vp_info, arch); F(hvs_vp_info, vtl_mask);
	F(hvs_vp_info, saved_vtl); F(hvs_vp_info, active_vtl); F(hvs_vp_info, nested_enabled);
	F(hvs_vp_info, in_nested_guest); F(hvs_vp_info, nested_host_mode); end();
	S(hvs_regval); F(hvs_regval, lo); F(hvs_regval, hi); end();
	S(hvs_paging_regs); F(hvs_paging_regs, arch); F(hvs_paging_regs, mode);
	F(hvs_paging_regs, maxphyaddr); F(hvs_paging_regs, cr0); F(hvs_paging_regs, cr3);
	F(hvs_paging_regs, cr4); F(hvs_paging_regs, efer); F(hvs_paging_regs, ttbr0);
	F(hvs_paging_regs, ttbr1); F(hvs_paging_regs, tcr); F(hvs_paging_regs, sctlr);
	F(hvs_paging_regs, have); F(hvs_paging_regs, cpl); F(hvs_paging_regs, ss_attr);
	F(hvs_paging_regs, cs_sel); F(hvs_paging_regs, pstate); end();
	S(hvs_xlat_fault); F(hvs_xlat_fault, kind); F(hvs_xlat_fault, level);
	F(hvs_xlat_fault, entry_gpa); F(hvs_xlat_fault, entry); end();
	S(hvs_xlat_step); F(hvs_xlat_step, name); F(hvs_xlat_step, level);
	F(hvs_xlat_step, entry_gpa); F(hvs_xlat_step, entry); F(hvs_xlat_step, span);
	F(hvs_xlat_step, flags); end();
	S(hvs_xlat_walk); F(hvs_xlat_walk, gva); F(hvs_xlat_walk, done); F(hvs_xlat_walk, gpa);
	F(hvs_xlat_walk, page_size); F(hvs_xlat_walk, flags); F(hvs_xlat_walk, unmapped_size);
	F(hvs_xlat_walk, fault); F(hvs_xlat_walk, nsteps); F(hvs_xlat_walk, steps);
	F(hvs_xlat_walk, priv_table); F(hvs_xlat_walk, priv_va); F(hvs_xlat_walk, priv_level);
	F(hvs_xlat_walk, priv_half); end();
	S(hvs_xlat_region); F(hvs_xlat_region, gva); F(hvs_xlat_region, gpa);
	F(hvs_xlat_region, size); F(hvs_xlat_region, flags); end();
	S(hvs_store_info); F(hvs_store_info, format_version); F(hvs_store_info, data_version);
	F(hvs_store_info, flags); F(hvs_store_info, alignment); F(hvs_store_info, active_header);
	F(hvs_store_info, header_sequence); F(hvs_store_info, replay_log_offset);
	F(hvs_store_info, replay_log_size); F(hvs_store_info, replay_pending);
	F(hvs_store_info, replay_applied); F(hvs_store_info, object_table_count);
	F(hvs_store_info, key_table_count); F(hvs_store_info, file_object_count);
	F(hvs_store_info, entry_count); F(hvs_store_info, key_count);
	F(hvs_store_info, file_size); end();
	S(hvs_key_info); F(hvs_key_info, type); F(hvs_key_info, raw_type); F(hvs_key_info, flags);
	F(hvs_key_info, table_index); F(hvs_key_info, entry_offset); F(hvs_key_info, file_offset);
	F(hvs_key_info, entry_size); F(hvs_key_info, insertion_seq); F(hvs_key_info, value_size);
	F(hvs_key_info, value_offset); F(hvs_key_info, is_file_object);
	F(hvs_key_info, node_change_seq); F(hvs_key_info, node_next_insertion); end();
	S(hvs_vmrs_writer_opts); F(hvs_vmrs_writer_opts, alloc); F(hvs_vmrs_writer_opts, errbuf);
	F(hvs_vmrs_writer_opts, errbuf_size); F(hvs_vmrs_writer_opts, arch);
	F(hvs_vmrs_writer_opts, vendor); F(hvs_vmrs_writer_opts, vm_version);
	F(hvs_vmrs_writer_opts, encoding); F(hvs_vmrs_writer_opts, savedstate_type); end();
	S(hvs_pe_found); F(hvs_pe_found, base); F(hvs_pe_found, size); F(hvs_pe_found, timestamp);
	F(hvs_pe_found, machine); F(hvs_pe_found, standalone); F(hvs_pe_found, name);
	F(hvs_pe_found, has_codeview); F(hvs_pe_found, pdb_name); F(hvs_pe_found, guid);
	F(hvs_pe_found, age); end();
	S(hvs_pe_scan_stats); F(hvs_pe_scan_stats, mapped_bytes); F(hvs_pe_scan_stats, pages_read);
	F(hvs_pe_scan_stats, pages_missing); F(hvs_pe_scan_stats, candidates);
	F(hvs_pe_scan_stats, images); F(hvs_pe_scan_stats, table_gaps); end();
	S(hvs_sym_opts); F(hvs_sym_opts, alloc); F(hvs_sym_opts, symbol_path);
	F(hvs_sym_opts, default_store); F(hvs_sym_opts, vp); F(hvs_sym_opts, flags);
	F(hvs_sym_opts, msg); F(hvs_sym_opts, msg_ud); F(hvs_sym_opts, errbuf);
	F(hvs_sym_opts, errbuf_size); end();
	S(hvs_sym_module); F(hvs_sym_module, name); F(hvs_sym_module, image_name);
	F(hvs_sym_module, pdb_name); F(hvs_sym_module, pdb_path); F(hvs_sym_module, base);
	F(hvs_sym_module, size); F(hvs_sym_module, timestamp); F(hvs_sym_module, guid);
	F(hvs_sym_module, age); F(hvs_sym_module, has_cv); F(hvs_sym_module, loaded);
	F(hvs_sym_module, is_kernel); F(hvs_sym_module, from_list); end();
	S(hvs_sym_global); F(hvs_sym_global, va); F(hvs_sym_global, size);
	F(hvs_sym_global, module); F(hvs_sym_global, type_name); end();
	S(hvs_sym_field); F(hvs_sym_field, name); F(hvs_sym_field, offset); F(hvs_sym_field, size);
	F(hvs_sym_field, type_name); F(hvs_sym_field, bit_pos); F(hvs_sym_field, bit_len); end();
	S(hvs_sym_winver); F(hvs_sym_winver, major); F(hvs_sym_winver, minor);
	F(hvs_sym_winver, build); F(hvs_sym_winver, build_raw); F(hvs_sym_winver, source); end();
	S(hvs_convert_opts); F(hvs_convert_opts, flags); F(hvs_convert_opts, dmp_type);
	F(hvs_convert_opts, progress); F(hvs_convert_opts, progress_ud);
	F(hvs_convert_opts, workers); F(hvs_convert_opts, alloc); end();
	S(hvs_convert_underived); F(hvs_convert_underived, field); F(hvs_convert_underived, why);
	end();
	S(hvs_convert_note); F(hvs_convert_note, name); F(hvs_convert_note, value); end();
	S(hvs_convert_result); F(hvs_convert_result, format); F(hvs_convert_result, ranges);
	F(hvs_convert_result, pages); F(hvs_convert_result, memory_bytes);
	F(hvs_convert_result, bytes_written); F(hvs_convert_result, file_size);
	F(hvs_convert_result, seconds); F(hvs_convert_result, workers);
	F(hvs_convert_result, underived_count); F(hvs_convert_result, underived);
	F(hvs_convert_result, note_count); F(hvs_convert_result, notes);
	F(hvs_convert_result, sidecar_path); F(hvs_convert_result, errmsg); end();
	printf("\n}\n");
	return 0;
}
