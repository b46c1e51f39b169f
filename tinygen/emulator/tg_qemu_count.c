/*
 * tg_qemu_count.c: a QEMU TCG plugin that counts the instructions a tinygen firmware executes, the
 * way tinygen's Unicorn runner counts them: from reset to tg_inputs_ready() (start-up) and from
 * tg_inputs_ready() to tg_done() (one inference). Built by tinygen/emulator/qemu.py with the host C
 * compiler and loaded with
 *
 *   qemu-system-arm ... -plugin tg_qemu_count.so,reset=0x...,start=0x...,end=0x...,out=FILE
 *
 * Every instruction gets an inline counter increment (exact, also when a translation block is
 * left early); the instructions at the three addresses get a callback that reads the counter. When
 * the instruction at `end` executes, one line "<inference> <start-up>" is appended to FILE.
 *
 * Debian ships no qemu-plugin.h, so the few declarations of QEMU's plugin API (version 1, QEMU
 * 7.2) this file uses are written out below; QEMU resolves them when it loads the plugin.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op, void *ptr,
                                                uint64_t imm);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t tg_count;       /* every instruction executed since QEMU started */
static uint64_t tg_at_reset;    /* tg_count when the reset handler's first instruction ran */
static uint64_t tg_at_start;    /* ... when tg_inputs_ready() was entered */
static uint64_t tg_reset_addr, tg_start_addr, tg_end_addr;
static FILE *tg_out;

static void tg_on_reset(unsigned int vcpu, void *userdata)
{
    (void)vcpu;
    (void)userdata;
    tg_at_reset = tg_count;
}

static void tg_on_start(unsigned int vcpu, void *userdata)
{
    (void)vcpu;
    (void)userdata;
    tg_at_start = tg_count;
}

static void tg_on_end(unsigned int vcpu, void *userdata)
{
    (void)vcpu;
    (void)userdata;
    fprintf(tg_out, "%llu %llu\n", (unsigned long long)(tg_count - tg_at_start),
            (unsigned long long)(tg_at_start - tg_at_reset));
    fflush(tg_out);
}

static void tg_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t i, n = qemu_plugin_tb_n_insns(tb);

    (void)id;
    for (i = 0; i < n; ++i) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t addr = qemu_plugin_insn_vaddr(insn);

        /* the callbacks read the counter before this instruction's own increment */
        if (addr == tg_reset_addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, tg_on_reset, QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
        if (addr == tg_start_addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, tg_on_start, QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
        if (addr == tg_end_addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, tg_on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &tg_count, 1);
    }
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv);

int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    int i;
    const char *out = NULL;

    (void)info;
    for (i = 0; i < argc; ++i) {
        if (strncmp(argv[i], "reset=", 6) == 0) {
            tg_reset_addr = strtoull(argv[i] + 6, NULL, 0);
        } else if (strncmp(argv[i], "start=", 6) == 0) {
            tg_start_addr = strtoull(argv[i] + 6, NULL, 0);
        } else if (strncmp(argv[i], "end=", 4) == 0) {
            tg_end_addr = strtoull(argv[i] + 4, NULL, 0);
        } else if (strncmp(argv[i], "out=", 4) == 0) {
            out = argv[i] + 4;
        } else {
            fprintf(stderr, "tg_qemu_count: unknown argument %s\n", argv[i]);
            return -1;
        }
    }
    if (out == NULL || tg_start_addr == 0 || tg_end_addr == 0) {
        fprintf(stderr, "tg_qemu_count: needs start=, end= and out=\n");
        return -1;
    }
    tg_out = fopen(out, "a");
    if (tg_out == NULL) {
        fprintf(stderr, "tg_qemu_count: cannot open %s\n", out);
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, tg_translate);
    return 0;
}
