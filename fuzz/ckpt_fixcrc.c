/*
 * ckpt_fixcrc.c - the checkpoint target with its CRC recomputed before
 * parsing, so that mutations reach what lies behind the checksum (see
 * ckpt.c, which this includes: "ckpt.c" is fuzz/ckpt.c, the file
 * next to this one, not lib/ckpt.c).
 */
#define FIX_CRC 1
#include "ckpt.c"
