/* json_pick_oracle.h — checks hg_json_pick against the tree parser (with
 * HG_JSON_NUL_OK, as the picker accepts U+0000 too) on one input: both
 * accept or both refuse with the same message, and every pick of a fixed
 * set of paths is what hg_json_get finds in the tree. Shared by the unit
 * test and the fuzz target. */
#ifndef HG_JSON_PICK_ORACLE_H
#define HG_JSON_PICK_ORACLE_H

#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/limits.h"

#define ORACLE_PICKS 12

static const char *const oracle_paths[ORACLE_PICKS][4] = {
    { NULL }, { "type" }, { "event" }, { "event", "type" }, { "event", "channel" },
    { "event", "channel", "id" }, { "channel" }, { "a", "b", "c" }, { "n" }, { "s" },
    { "team", "id" }, { "" },
};
static const size_t oracle_max[ORACLE_PICKS] = { 0, 64, 0, 8, 16, 16, 16, 16, 0, 3, 16, 16 };

static yajl_val oracle_tree_get(yajl_val v, const char *const *path)
{
    for (int k = 0; v && k < 3 && path[k]; k++)
        v = hg_json_get(v, path[k], (const char *)NULL);
    return v;
}

/* NULL when pick and tree agree on text[0..len), else what differs (static). */
static const char *json_pick_oracle(const char *text, size_t len)
{
    static char why[300];
    char e1[160] = "", e2[160] = "", arena[512];
    struct hg_json_pick pk[ORACLE_PICKS];
    memset(pk, 0, sizeof pk);
    for (int i = 0; i < ORACLE_PICKS; i++) {
        for (int k = 0; k < 4; k++)
            pk[i].path[k] = oracle_paths[i][k];
        pk[i].max_len = oracle_max[i];
    }
    yajl_val root = hg_json_parse_opts(text, len, HG_JSON_MAX_VALUES, HG_JSON_NUL_OK, e1, sizeof e1);
    int rc = hg_json_pick(text, len, pk, ORACLE_PICKS, arena, sizeof arena, e2, sizeof e2);
    if (!root || rc != 0) {
        int same = !root && rc != 0 && strcmp(e1, e2) == 0;
        yajl_tree_free(root);
        if (same)
            return NULL;
        snprintf(why, sizeof why, "tree: %.140s / pick: %.140s", root || !e1[0] ? "ok" : e1, rc == 0 ? "ok" : e2);
        return why;
    }
    const char *bad = NULL;
    for (int i = 0; i < ORACLE_PICKS && !bad; i++) {
        yajl_val v = oracle_tree_get(root, oracle_paths[i]);
        enum hg_json_pick_kind want = HG_JSON_PICK_ABSENT;
        if (v && YAJL_IS_STRING(v))
            want = strlen(v->u.string) > oracle_max[i] ? HG_JSON_PICK_TOO_LONG : HG_JSON_PICK_STRING;
        else if (v && YAJL_IS_INTEGER(v))
            want = HG_JSON_PICK_INTEGER;
        else if (v && YAJL_IS_OBJECT(v))
            want = HG_JSON_PICK_OBJECT;
        else if (v && v->type == HG_JSON_T_NUL_STRING)
            want = HG_JSON_PICK_STRING_NUL;
        else if (v)
            want = HG_JSON_PICK_OTHER;
        if (pk[i].kind != want)
            bad = "kind";
        else if (want == HG_JSON_PICK_STRING && strcmp(pk[i].str, v->u.string) != 0)
            bad = "string";
        else if (want == HG_JSON_PICK_INTEGER && pk[i].integer != YAJL_GET_INTEGER(v))
            bad = "integer";
        if (bad)
            snprintf(why, sizeof why, "pick %d (%s...): %s differs (pick kind %d, tree kind %d)", i,
                     oracle_paths[i][0] ? oracle_paths[i][0] : "root", bad, (int)pk[i].kind, (int)want);
    }
    yajl_tree_free(root);
    return bad ? why : NULL;
}

#endif
