/* SPDX-License-Identifier: MIT */
/*
 * On-disk constants of the HyperVStorage container (docs/format/storage.md).
 * These are file values and are never renumbered; the in-memory enums of
 * include/hvs/store.h are a separate set.  Offsets are relative to the
 * start of the structure they belong to; all fields little-endian.
 */
#ifndef HVS_STORE_FORMAT_H
#define HVS_STORE_FORMAT_H

/* ---- File header: two copies, at 0 and at 0x1000 (46 bytes used). */
#define HVS_FH_SIGNATURE 0x01282014u
enum {
	HVS_FH_OFF_SIGNATURE = 0x00,       /* u32 */
	HVS_FH_OFF_CHECKSUM = 0x04,        /* u32 CRC-32, field zeroed */
	HVS_FH_OFF_SEQUENCE = 0x08,        /* u16 */
	HVS_FH_OFF_FORMAT_VERSION = 0x0A,  /* u32 major*256+minor */
	HVS_FH_OFF_DATA_VERSION = 0x0E,    /* u32 */
	HVS_FH_OFF_FLAGS = 0x12,           /* u32 */
	HVS_FH_OFF_ALIGNMENT = 0x16,       /* u32 DataAlignmentInBytes */
	HVS_FH_OFF_LOG_OFFSET = 0x1A,      /* u64 ReplayLogOffsetInBytes */
	HVS_FH_OFF_LOG_SIZE = 0x22,        /* u64 ReplayLogSizeInBytes */
	HVS_FH_OFF_LOG_HEADER_SIZE = 0x2A, /* u32 ReplayLogHeaderSizeInBytes */
	HVS_FH_SIZE = 0x2E
};
#define HVS_FH_COPY0_OFFSET 0x0000u
#define HVS_FH_COPY1_OFFSET 0x1000u
#define HVS_ROOT_OBJECT_TABLE_OFFSET 0x2000u
#define HVS_ALIGN_MIN 0x1000u
#define HVS_ALIGN_MAX 0x10000u

/* Format versions (major * 256 + minor). */
#define HVS_FMT_1_0 0x0100u /* key names UTF-16LE */
#define HVS_FMT_1_1 0x0101u /* key names UTF-8 */
#define HVS_FMT_2_0 0x0200u
#define HVS_FMT_3_0 0x0300u /* updated key table indexes */
#define HVS_FMT_3_1 0x0301u /* fixed object table entry checksum */
#define HVS_FMT_4_0 0x0400u /* stable array ordering (current) */

/* ---- Replay log header (34 bytes) at ReplayLogOffsetInBytes. */
#define HVS_LOG_SIGNATURE 0x01110003u
enum {
	HVS_LOG_OFF_SIGNATURE = 0x00,   /* u32 */
	HVS_LOG_OFF_CHECKSUM = 0x04,    /* u32 CRC-32, field zeroed */
	HVS_LOG_OFF_COUNT = 0x08,       /* u32 CurrentEntriesCount (pending) */
	HVS_LOG_OFF_RESERVED = 0x0C,    /* u8 */
	HVS_LOG_OFF_MAX_ENTRIES = 0x0D, /* u32 MaximumNumberOfEntries */
	HVS_LOG_OFF_CT_ENABLED = 0x11,  /* u8 ChangeTrackingEnabled */
	HVS_LOG_OFF_CT_OFFSET = 0x12,   /* u64 ChangeTrackingBufferOffset */
	HVS_LOG_OFF_CT_SIZE = 0x1A,     /* u32 ChangeTrackingBufferSize */
	HVS_LOG_OFF_CT_USED = 0x1E,     /* u32 ChangeTrackingBufferUsedSize */
	HVS_LOG_HEADER_SIZE = 0x22
};
/* Replay log entry (28 bytes), entries follow the 34-byte header. */
enum {
	HVS_LOGE_OFF_DEST = 0x00,       /* u64 absolute file offset */
	HVS_LOGE_OFF_SIZE = 0x08,       /* u32 DestinationSize */
	HVS_LOGE_OFF_LOGOFF = 0x0C,     /* u64 OffsetInsideLog (from log start) */
	HVS_LOGE_OFF_CHECKSUM = 0x14,   /* u32 CRC-32 of the entry, field zeroed */
	HVS_LOGE_OFF_DATA_CRC = 0x18,   /* u32 CRC-32 of the logged data */
	HVS_LOGE_SIZE = 0x1C
};

/* ---- Object table: 8-byte header then EntriesCount 18-byte entries. */
#define HVS_OT_SIGNATURE 0x01110001u
enum {
	HVS_OT_OFF_SIGNATURE = 0x00, /* u32 */
	HVS_OT_OFF_COUNT = 0x04,     /* u32 EntriesCount (capacity) */
	HVS_OT_HEADER_SIZE = 0x08
};
enum {
	HVS_OTE_OFF_TYPE = 0x00,     /* u8 */
	HVS_OTE_OFF_CHECKSUM = 0x01, /* u32 CRC-32 of the entry, field zeroed */
	HVS_OTE_OFF_OFFSET = 0x05,   /* u64 FileOffsetInBytes */
	HVS_OTE_OFF_SIZE = 0x0D,     /* u32 SizeInBytes */
	HVS_OTE_OFF_FLAGS = 0x11,    /* u8 (0x01 required) */
	HVS_OTE_SIZE = 0x12
};
/* Object types. */
enum {
	HVS_OBJ_EMPTY = 0,
	HVS_OBJ_OBJECT_TABLE = 1,
	HVS_OBJ_KEY_TABLE = 2,
	HVS_OBJ_FILE_OBJECT = 3,
	HVS_OBJ_FREE = 4
};
#define HVS_OTE_FLAG_REQUIRED 0x01u

/* ---- Key table: 10-byte header, then packed entries to the end. */
#define HVS_KT_SIGNATURE 0x0002u
enum {
	HVS_KT_OFF_SIGNATURE = 0x00, /* u16 */
	HVS_KT_OFF_INDEX = 0x02,     /* u16 TableIndex (from 1) */
	HVS_KT_OFF_SEQUENCE = 0x04,  /* u16 */
	HVS_KT_OFF_CHECKSUM = 0x06,  /* u32 CRC-32 of the 10 bytes, field zeroed */
	HVS_KT_HEADER_SIZE = 0x0A
};
#define HVS_KT_SIZE_DEFAULT 0x1000u

/* ---- Key table entry: 21-byte header, name, value, optional slack. */
enum {
	HVS_KE_OFF_TYPE = 0x00,          /* u8 */
	HVS_KE_OFF_FLAGS = 0x01,         /* u8 */
	HVS_KE_OFF_SIZE = 0x02,          /* u32 whole entry incl. slack */
	HVS_KE_OFF_PARENT_TABLE = 0x06,  /* u16 */
	HVS_KE_OFF_PARENT_OFFSET = 0x08, /* u32 */
	HVS_KE_OFF_CHECKSUM = 0x0C,      /* u32 CRC over header+name+value */
	HVS_KE_OFF_INSERTION = 0x10,     /* u32 InsertionSequence */
	HVS_KE_OFF_NAME_SIZE = 0x14,     /* u8 name length in symbols incl. NUL */
	HVS_KE_HEADER_SIZE = 0x15
};
/* Entry types. */
enum {
	HVS_KE_FREE = 1,
	HVS_KE_UNKNOWN2 = 2,
	HVS_KE_INT = 3,
	HVS_KE_UINT = 4,
	HVS_KE_DOUBLE = 5,
	HVS_KE_STRING = 6,
	HVS_KE_ARRAY = 7,
	HVS_KE_BOOL = 8,
	HVS_KE_NODE = 9
};
/* Entry flags. */
#define HVS_KE_FLAG_FILE_OBJECT 0x01u
#define HVS_KE_FLAG_SUBCOMPONENT 0x02u
#define HVS_KE_FLAG_SEQ_CHANGE_TRACKING 0x04u

/* Node value: u64 ChangeTrackingSequence + u32 NextInsertionSequence. */
#define HVS_KE_NODE_VALUE_SIZE 12u
/* File-object pointer replacing a value: u32 size + u64 offset. */
#define HVS_KE_FILE_OBJECT_REF_SIZE 12u
/* Values of this many bytes or more are stored as file objects. */
#define HVS_FILE_OBJECT_THRESHOLD 2048u

#endif
