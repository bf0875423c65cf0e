# SPDX-License-Identifier: MIT
# Golden CLI tests; see hvs_add_golden() in tests/CMakeLists.txt.
