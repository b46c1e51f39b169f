/*
 * tg_blockcount.c - a native Unicorn block hook that counts executed Thumb instructions.
 *
 * Unicorn calls tg_block_hook() at the start of every translated block it executes, with the
 * block's address and size in bytes. The number of instructions in a block is computed once (a
 * Thumb instruction is 32 bits wide when its first halfword starts with 0b11101, 0b11110 or
 * 0b11111, else 16 bits) and cached in an open-addressing table keyed by (address, size); the hook
 * adds it to a running total. When the total passes the limit, the hook stops the emulation and
 * raises a flag, which the Python side reports as a hit instruction limit.
 *
 * For the cycle estimate (tinygen.emulator.costmodel) the table also keeps, per block, how often
 * it ran and how often the block that ran before it did not end where this one starts (the
 * previous block's last instruction branched: a taken branch).
 *
 * Built with the host C compiler by tinygen.emulator.native and loaded with ctypes; Unicorn's
 * uc_mem_read and uc_emu_stop are passed in as function pointers, so nothing links against
 * libunicorn here.
 */
#include <stdint.h>
#include <stddef.h>

typedef int (*tg_mem_read_fn)(void *uc, uint64_t address, void *bytes, uint64_t size);
typedef int (*tg_emu_stop_fn)(void *uc);

#define TG_TABLE_BITS 16
#define TG_TABLE_SIZE (1u << TG_TABLE_BITS)
#define TG_MAX_BLOCK 4096u

typedef struct {
    uint64_t count;            /* instructions executed so far */
    uint64_t limit;            /* stop when count exceeds this (0: no limit) */
    uint64_t blocks;           /* blocks executed */
    uint32_t limit_hit;        /* 1 once stopped by the limit */
    uint32_t read_errors;      /* blocks whose bytes could not be read (counted by size / 2) */
    tg_mem_read_fn mem_read;
    tg_emu_stop_fn emu_stop;
    uint64_t last_end;         /* address just past the previous block */
    uint32_t last_slot;        /* table slot of the previous block */
    uint32_t has_last;         /* 0 before the first block (and after tg_counter_reset_blocks) */
    uint64_t keys[TG_TABLE_SIZE];     /* (address << 16 | size) + 1; 0 = empty */
    uint32_t values[TG_TABLE_SIZE];   /* instructions in the block */
    uint64_t hits[TG_TABLE_SIZE];     /* times the block ran */
    uint64_t taken[TG_TABLE_SIZE];    /* times the block ended in a taken branch */
} tg_counter;

size_t tg_counter_size(void)
{
    return sizeof(tg_counter);
}

size_t tg_counter_offset_keys(void)
{
    return offsetof(tg_counter, keys);
}

/* Forget the block statistics (not the cached instruction counts): e.g. after start-up code. */
void tg_counter_reset_blocks(tg_counter *c)
{
    uint32_t i;
    for (i = 0; i < TG_TABLE_SIZE; ++i) {
        c->hits[i] = 0u;
        c->taken[i] = 0u;
    }
    c->has_last = 0u;
}

uint32_t tg_thumb_count(const uint8_t *code, uint32_t size)
{
    uint32_t n = 0, off = 0;
    while (off + 1u < size) {
        const uint32_t hw = (uint32_t)code[off] | ((uint32_t)code[off + 1u] << 8);
        off += ((hw & 0xF800u) >= 0xE800u) ? 4u : 2u;
        ++n;
    }
    return n;
}

static uint32_t tg_block_count(void *uc, tg_counter *c, uint64_t address, uint32_t size)
{
    uint8_t code[TG_MAX_BLOCK];
    if (size > TG_MAX_BLOCK || c->mem_read(uc, address, code, size) != 0) {
        c->read_errors++;
        return size / 2u;
    }
    return tg_thumb_count(code, size);
}

void tg_block_hook(void *uc, uint64_t address, uint32_t size, void *user_data)
{
    tg_counter *c = (tg_counter *)user_data;
    const uint64_t key = ((address << 16) | (uint64_t)(size & 0xFFFFu)) + 1u;
    uint32_t slot = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - TG_TABLE_BITS));
    uint32_t n = 0, probes;

    for (probes = 0; probes < TG_TABLE_SIZE; ++probes) {
        if (c->keys[slot] == key) {
            n = c->values[slot];
            break;
        }
        if (c->keys[slot] == 0u) {
            n = tg_block_count(uc, c, address, size);
            c->keys[slot] = key;
            c->values[slot] = n;
            break;
        }
        slot = (slot + 1u) & (TG_TABLE_SIZE - 1u);
    }
    if (probes == TG_TABLE_SIZE) { /* table full: count without caching (and without block statistics) */
        n = tg_block_count(uc, c, address, size);
        c->has_last = 0u;
    } else {
        c->hits[slot]++;
        if (c->has_last && address != c->last_end) {
            c->taken[c->last_slot]++;
        }
        c->last_slot = slot;
        c->last_end = address + size;
        c->has_last = 1u;
    }
    c->count += n;
    c->blocks++;
    if (c->limit != 0u && c->count > c->limit && !c->limit_hit) {
        c->limit_hit = 1u;
        c->emu_stop(uc);
    }
}
