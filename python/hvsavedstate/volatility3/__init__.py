# SPDX-License-Identifier: MIT
"""volatility3 support for hvsavedstate.

``hvsavedstate.volatility3.layer`` defines two layers and a stacker:

* ``HvsRawLayer``: a DataLayer over the library's raw saved memory (every
  saved byte, RAM blocks concatenated, no holes);
* ``HvsPhysicalLayer``: a SegmentedLayer mapping guest-physical addresses
  onto it (the saved ranges; the MMIO hole and anything unsaved are
  invalid addresses), with each VP's saved CR3 in its metadata;
* ``HvsStacker``: recognises a Hyper-V saved state (.vmrs) or a legacy
  .bin (+ .vsv) when volatility3 stacks layers on ``-f FILE``.

volatility3 loads them from the plugin directory
``hvsavedstate/volatility3/plugins`` (its ``-p``/``--plugin-dirs``
option); see docs/python.md.  Importing this package does not import
volatility3.
"""
