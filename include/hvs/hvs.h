/* SPDX-License-Identifier: MIT */
/**
 * @file hvs/hvs.h
 * hvsavedstate: read Hyper-V virtual machine saved state on any OS.
 * Umbrella header; include this one.  See docs/api.md for ownership,
 * lifetimes, the error model and the glossary.
 */
#ifndef HVS_HVS_H
#define HVS_HVS_H

#include "common.h"
#include "store.h"
#include "xlat.h"
#include "regs.h"
#include "image.h"
#include "vp.h"
#include "pe.h"
#include "vmrs_writer.h"
#include "pdb.h"
#include "sym.h"
#include "unwind.h"
#include "convert.h"

#endif
