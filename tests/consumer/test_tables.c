/* test_tables.c — table configs: name mapping, every field's checks, defaults, loading from a directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "consumer/tables.h"
#include "tests/unit/test.h"

static char err[512];

static struct hgc_table *parse(const char *json)
{
    err[0] = '\0';
    return hgc_table_parse(json, strlen(json), NULL, err, sizeof err);
}

/* The config must be rejected with exactly this message. */
static void expect_error(const char *json, const char *msg, int line)
{
    struct hgc_table *t = parse(json);
    hg_test_checks++;
    if (t || strcmp(err, msg) != 0) {
        hg_test_failures++;
        fprintf(stderr, "%s:%d: config %s\n  got %s \"%s\"\n  expected \"%s\"\n", __FILE__, line,
                json, t ? "success" : "error", err, msg);
    }
    hgc_table_destroy(t);
}
#define EXPECT_ERROR(json, msg) expect_error(json, msg, __LINE__)

#define HEAD "\"project\":\"mkt\",\"name\":\"campaign_tags\",\"schema\":\"sheets\""
#define MAPS "\"mappings\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"tag\",\"type\":\"string\"}]"
#define WITH_OPTS(o) "{" HEAD "," MAPS ",\"options\":{" o "}}"

static void test_issue_example(void)
{
    const char *json =
        "{\"project\":\"mkt\",\"name\":\"campaign_tags\",\"schema\":\"sheets\","
        " \"mappings\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"tag\",\"type\":\"string\"}],"
        " \"options\":{\"index_column\":\"id\",\"required\":[\"tag\"],\"on_empty\":\"drop_row\","
        "            \"multi_value_column\":\"tag\",\"multi_value_separator\":\",\","
        "            \"split_multi_values\":true,\"glue_job\":\"mkt-campaign_tags-load\"}}";
    struct hgc_table *t = hgc_table_parse(json, strlen(json), "campaign_tags", err, sizeof err);
    CHECK(t != NULL);
    if (!t) {
        fprintf(stderr, "error: %s\n", err);
        return;
    }
    CHECK_STR(t->project, "mkt");
    CHECK_STR(t->name, "campaign_tags");
    CHECK_STR(t->schema, "sheets");
    CHECK_INT(t->ncolumns, 2);
    CHECK_STR(t->columns[0].name, "id");
    CHECK_INT(t->columns[0].type, HGC_COL_INT);
    CHECK(t->columns[0].required);   /* the index column is required */
    CHECK_STR(t->columns[1].name, "tag");
    CHECK_INT(t->columns[1].type, HGC_COL_STRING);
    CHECK(t->columns[1].required);
    CHECK_INT(t->index_column, 0);
    CHECK(!t->unique_index);
    CHECK_INT(t->on_empty, HGC_ON_EMPTY_DROP_ROW);
    CHECK_INT(t->multi_value_column, 1);
    CHECK_STR(t->multi_value_separator, ",");
    CHECK_INT(t->multi_value_separator_len, 1);
    CHECK(t->split_multi_values);
    CHECK_STR(t->glue_job, "mkt-campaign_tags-load");
    CHECK(t->s3_prefix == NULL);
    CHECK(t->notify_channel == NULL);
    /* Defaults. */
    CHECK_INT(t->empty_markers.count, 3);
    CHECK_STR(t->empty_markers.items[0], " ");
    CHECK_STR(t->empty_markers.items[1], "-");
    CHECK_STR(t->empty_markers.items[2], "ー");
    CHECK_INT(t->forbidden_separators.count, 3);
    CHECK_STR(t->forbidden_separators.items[0], "、");
    CHECK_STR(t->forbidden_separators.items[1], "，");
    CHECK_STR(t->forbidden_separators.items[2], ", ");
    CHECK_INT(hgc_table_column(t, "tag"), 1);
    CHECK_INT(hgc_table_column(t, "nope"), -1);
    hgc_table_destroy(t);

    /* A wrong name against the file's table name. */
    t = hgc_table_parse(json, strlen(json), "other", err, sizeof err);
    CHECK(t == NULL);
    CHECK_STR(err, "name: must be 'other' (the file's table name)");
}

/* With multi_value_separator sep and no forbidden_separators, the defaults
 * left are exactly a and b. */
static void expect_forbidden(const char *sep, const char *a, const char *b, int line)
{
    char json[512];
    snprintf(json, sizeof json, WITH_OPTS("\"multi_value_column\":\"tag\",\"multi_value_separator\":\"%s\""),
             sep);
    struct hgc_table *t = parse(json);
    hg_test_checks++;
    if (!t || t->forbidden_separators.count != 2 || strcmp(t->forbidden_separators.items[0], a) ||
        strcmp(t->forbidden_separators.items[1], b)) {
        hg_test_failures++;
        fprintf(stderr, "%s:%d: separator '%s': %s; expected forbidden '%s', '%s'\n", __FILE__, line,
                sep, t ? "other forbidden separators" : err, a, b);
    }
    hgc_table_destroy(t);
}
#define EXPECT_FORBIDDEN(sep, a, b) expect_forbidden(sep, a, b, __LINE__)

static void test_defaults_and_all_fields(void)
{
    struct hgc_table *t = parse("{" HEAD "," MAPS "}");
    CHECK(t != NULL);
    if (t) {
        CHECK_INT(t->on_empty, HGC_ON_EMPTY_ERROR);
        CHECK_INT(t->index_column, -1);
        CHECK_INT(t->multi_value_column, -1);
        CHECK(t->multi_value_separator == NULL);
        CHECK(!t->columns[0].required);
        CHECK(!t->columns[1].required);
        CHECK_INT(t->empty_markers.count, 3);
        CHECK_INT(t->forbidden_separators.count, 3);
    }
    hgc_table_destroy(t);

    t = parse(WITH_OPTS("\"index_column\":\"id\",\"unique_index\":true,\"empty_markers\":[\"N/A\"],"
                        "\"on_empty\":\"error\",\"multi_value_column\":\"tag\","
                        "\"multi_value_separator\":\"、\",\"forbidden_separators\":[\";\"],"
                        "\"s3_prefix\":\"landing/sheets\","
                        "\"s3_key_template\":\"{prefix}/{project}/{schema}/{table}/dt={dt}/{file_id}.csv\","
                        "\"notify_channel\":\"C0123ABC\",\"glue_job\":\"job_1\""));
    CHECK(t != NULL);
    if (t) {
        CHECK(t->unique_index);
        CHECK_INT(t->empty_markers.count, 1);
        CHECK_STR(t->empty_markers.items[0], "N/A");
        CHECK_STR(t->multi_value_separator, "、");
        CHECK_INT(t->multi_value_separator_len, 3);
        CHECK_INT(t->forbidden_separators.count, 1);
        CHECK_STR(t->forbidden_separators.items[0], ";");
        CHECK_STR(t->s3_prefix, "landing/sheets");
        CHECK_STR(t->notify_channel, "C0123ABC");
        CHECK(!t->split_multi_values);
    } else {
        fprintf(stderr, "error: %s\n", err);
    }
    hgc_table_destroy(t);

    /* Separator "、" without explicit forbidden list: the default "、" is left
     * out; so is a default found inside the separator: ", " in " , " (it
     * would refuse every cell with two values), "、" in "、、"; ones that
     * merely contain the separator stay (", " with ","). */
    EXPECT_FORBIDDEN("、", "，", ", ");
    EXPECT_FORBIDDEN(" , ", "、", "，");
    EXPECT_FORBIDDEN("、、", "，", ", ");
    /* A separator inside a forbidden one is fine: only cells using that one are refused. */
    t = parse(WITH_OPTS("\"multi_value_column\":\"tag\",\"multi_value_separator\":\";\","
                        "\"forbidden_separators\":[\";;\"]"));
    CHECK(t != NULL);
    hgc_table_destroy(t);
    /* A key template whose last segment is not {file_id} itself is fine. */
    t = parse(WITH_OPTS("\"s3_key_template\":\"{prefix}/{table}/{file_id}/data.csv\""));
    CHECK(t != NULL);
    if (t)
        CHECK_STR(t->s3_key_template, "{prefix}/{table}/{file_id}/data.csv");
    hgc_table_destroy(t);

    /* Empty lists are allowed: no markers, no forbidden separators. */
    t = parse(WITH_OPTS("\"empty_markers\":[],\"forbidden_separators\":[]"));
    CHECK(t != NULL);
    if (t) {
        CHECK_INT(t->empty_markers.count, 0);
        CHECK_INT(t->forbidden_separators.count, 0);
    }
    hgc_table_destroy(t);

    /* Every type name. */
    t = parse("{" HEAD ",\"mappings\":[{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"float\"},"
              "{\"name\":\"c\",\"type\":\"bool\"},{\"name\":\"d\",\"type\":\"date\"},"
              "{\"name\":\"e\",\"type\":\"timestamp\"},{\"name\":\"列\",\"type\":\"string\"}]}");
    CHECK(t != NULL);
    if (t) {
        CHECK_INT(t->ncolumns, 6);
        for (size_t i = 0; i < 6; i++)
            CHECK_INT(t->columns[i].type, (int)i);
        CHECK_STR(hgc_col_type_name(t->columns[4].type), "timestamp");
        CHECK_STR(t->columns[5].name, "列");
    }
    hgc_table_destroy(t);
}

static void test_invalid_fields(void)
{
    /* Not JSON / wrong shape. */
    struct hgc_table *t = parse("{\"project\":");
    CHECK(t == NULL);
    CHECK(strncmp(err, "config: not valid JSON", 22) == 0);
    EXPECT_ERROR("[1,2]", "config: must be a JSON object");
    EXPECT_ERROR("{" HEAD "," MAPS ",\"extra\":1}", "extra: unknown field");
    EXPECT_ERROR("{" HEAD "," MAPS ",\"project\":\"x\"}", "project: duplicate field");

    /* project / name / schema. */
    EXPECT_ERROR("{\"name\":\"t\",\"schema\":\"s\"," MAPS "}", "project: missing (a string is required)");
    EXPECT_ERROR("{\"project\":1,\"name\":\"t\",\"schema\":\"s\"," MAPS "}", "project: must be a string");
    EXPECT_ERROR("{\"project\":\"a/b\",\"name\":\"t\",\"schema\":\"s\"," MAPS "}",
                 "project: may only contain letters, digits, '_', '.' and '-'");
    EXPECT_ERROR("{\"project\":\"..\",\"name\":\"t\",\"schema\":\"s\"," MAPS "}",
                 "project: must not start with '.'");
    EXPECT_ERROR("{\"project\":\"\",\"name\":\"t\",\"schema\":\"s\"," MAPS "}",
                 "project: must not be empty");
    EXPECT_ERROR("{\"project\":\"p\",\"schema\":\"s\"," MAPS "}", "name: missing (a string is required)");
    EXPECT_ERROR("{\"project\":\"p\",\"name\":\"a..b\",\"schema\":\"s\"," MAPS "}",
                 "name: must not contain \"..\"");
    EXPECT_ERROR("{\"project\":\"p\",\"name\":\"t\"," MAPS "}", "schema: missing (a string is required)");
    EXPECT_ERROR("{\"project\":\"p\",\"name\":\"t\",\"schema\":\"s p\"," MAPS "}",
                 "schema: may only contain letters, digits, '_', '.' and '-'");

    /* mappings. */
    EXPECT_ERROR("{" HEAD "}", "mappings: missing (an array of {\"name\", \"type\"} is required)");
    EXPECT_ERROR("{" HEAD ",\"mappings\":{}}", "mappings: must be an array of {\"name\", \"type\"}");
    EXPECT_ERROR("{" HEAD ",\"mappings\":[]}", "mappings: must list at least one column");
    EXPECT_ERROR("{" HEAD ",\"mappings\":[\"id\"]}", "mappings[0]: must be an object {\"name\", \"type\"}");
    EXPECT_ERROR("{" HEAD ",\"mappings\":[{\"name\":\"id\"}]}", "mappings[0].type: missing (a string is required)");
    EXPECT_ERROR("{" HEAD ",\"mappings\":[{\"type\":\"int\"}]}", "mappings[0].name: missing (a string is required)");
    EXPECT_ERROR("{" HEAD ",\"mappings\":[{\"name\":\"id\",\"type\":\"integer\"}]}",
                 "mappings[0].type: must be one of int, float, bool, date, timestamp, string");
    EXPECT_ERROR("{" HEAD ",\"mappings\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"id\",\"type\":\"int\"}]}",
                 "mappings[1].name: column 'id' is listed twice");
    EXPECT_ERROR("{" HEAD ",\"mappings\":[{\"name\":\"\",\"type\":\"int\"}]}", "mappings[0].name: must not be empty");
    EXPECT_ERROR("{" HEAD ",\"mappings\":[{\"name\":\"a\\nb\",\"type\":\"int\"}]}",
                 "mappings[0].name: must not contain control characters");
    EXPECT_ERROR("{" HEAD ",\"mappings\":[{\"name\":\"id\",\"type\":\"int\",\"nullable\":true}]}",
                 "mappings[0].nullable: unknown field");

    /* options. */
    EXPECT_ERROR("{" HEAD "," MAPS ",\"options\":[]}", "options: must be an object");
    EXPECT_ERROR(WITH_OPTS("\"on_emtpy\":\"error\""), "options.on_emtpy: unknown field");
    EXPECT_ERROR(WITH_OPTS("\"on_empty\":\"skip\""), "options.on_empty: must be \"drop_row\" or \"error\"");
    EXPECT_ERROR(WITH_OPTS("\"on_empty\":true"), "options.on_empty: must be a string");
    EXPECT_ERROR(WITH_OPTS("\"index_column\":\"tag\""),
                 "options.index_column: 'tag' must be the first column in mappings (it is column 2)");
    EXPECT_ERROR(WITH_OPTS("\"index_column\":\"ID\""), "options.index_column: 'ID' is not a column in mappings");
    EXPECT_ERROR(WITH_OPTS("\"required\":\"tag\""), "options.required: must be an array of column names");
    EXPECT_ERROR(WITH_OPTS("\"required\":[\"tag\",\"tags\"]"), "options.required[1]: 'tags' is not a column in mappings");
    EXPECT_ERROR(WITH_OPTS("\"required\":[1]"), "options.required[0]: must be a string (a column name)");
    EXPECT_ERROR(WITH_OPTS("\"empty_markers\":\"-\""), "options.empty_markers: must be an array of strings");
    EXPECT_ERROR(WITH_OPTS("\"empty_markers\":[\"\"]"), "options.empty_markers[0]: must not be empty");
    EXPECT_ERROR(WITH_OPTS("\"empty_markers\":[\"-\",\"-\"]"), "options.empty_markers[1]: duplicate entry");
    EXPECT_ERROR(WITH_OPTS("\"empty_markers\":[\"0123456789012345678901234567890123\"]"),
                 "options.empty_markers[0]: at most 32 bytes");
    EXPECT_ERROR(WITH_OPTS("\"empty_markers\":[\"a\\nb\"]"),
                 "options.empty_markers[0]: must not contain a quote or a line break");
    EXPECT_ERROR(WITH_OPTS("\"multi_value_column\":\"tagz\""),
                 "options.multi_value_column: 'tagz' is not a column in mappings");
    EXPECT_ERROR(WITH_OPTS("\"index_column\":\"id\",\"multi_value_column\":\"id\""),
                 "options.multi_value_column: must not be the index column");
    EXPECT_ERROR(WITH_OPTS("\"multi_value_separator\":\";\""),
                 "options.multi_value_separator: needs options.multi_value_column");
    EXPECT_ERROR(WITH_OPTS("\"multi_value_column\":\"tag\",\"multi_value_separator\":\"\""),
                 "options.multi_value_separator: must not be empty");
    EXPECT_ERROR(WITH_OPTS("\"multi_value_column\":\"tag\",\"multi_value_separator\":\"\\\"\""),
                 "options.multi_value_separator: must not contain a quote or a line break");
    EXPECT_ERROR(WITH_OPTS("\"split_multi_values\":true"),
                 "options.split_multi_values: needs options.multi_value_column");
    EXPECT_ERROR(WITH_OPTS("\"multi_value_column\":\"tag\",\"split_multi_values\":\"yes\""),
                 "options.split_multi_values: must be true or false");
    EXPECT_ERROR(WITH_OPTS("\"multi_value_column\":\"tag\",\"forbidden_separators\":[\"、\",\",\"]"),
                 "options.forbidden_separators[1]: equals options.multi_value_separator");
    /* One found inside the separator would refuse every cell with two values. */
    EXPECT_ERROR(WITH_OPTS("\"multi_value_column\":\"tag\",\"multi_value_separator\":\";;\","
                           "\"forbidden_separators\":[\"、\",\";\"]"),
                 "options.forbidden_separators[1]: ';' is part of options.multi_value_separator "
                 "';;', so every cell with more than one value would be refused");
    EXPECT_ERROR(WITH_OPTS("\"multi_value_column\":\"tag\",\"multi_value_separator\":\" / \","
                           "\"forbidden_separators\":[\" /\"]"),
                 "options.forbidden_separators[0]: ' /' is part of options.multi_value_separator "
                 "' / ', so every cell with more than one value would be refused");
    EXPECT_ERROR(WITH_OPTS("\"forbidden_separators\":[1]"), "options.forbidden_separators[0]: must be a string");
    EXPECT_ERROR(WITH_OPTS("\"unique_index\":true"), "options.unique_index: needs options.index_column");
    EXPECT_ERROR(WITH_OPTS("\"index_column\":\"id\",\"unique_index\":1"),
                 "options.unique_index: must be true or false");
    EXPECT_ERROR(WITH_OPTS("\"glue_job\":\"job name\""),
                 "options.glue_job: may only contain letters, digits, '_', '.' and '-'");
    EXPECT_ERROR(WITH_OPTS("\"s3_prefix\":\"/abs\""), "options.s3_prefix: must not start with '/'");
    EXPECT_ERROR(WITH_OPTS("\"s3_prefix\":\"a/../b\""), "options.s3_prefix: must not contain \"..\"");
    EXPECT_ERROR(WITH_OPTS("\"s3_prefix\":\"a//b\""), "options.s3_prefix: must not contain \"//\"");
    EXPECT_ERROR(WITH_OPTS("\"s3_prefix\":\"a/./b\""), "options.s3_prefix: must not have a \".\" segment");
    EXPECT_ERROR(WITH_OPTS("\"s3_prefix\":\".\""), "options.s3_prefix: must not have a \".\" segment");
    /* S3 keeps "a/./b" as written; Glue's Spark and other readers resolve
     * the "." away and look for "a/b": the loaded table would miss it. */
    EXPECT_ERROR(WITH_OPTS("\"s3_key_template\":\"{prefix}/./{file_id}.csv\""),
                 "options.s3_key_template: must not have a \".\" segment");
    EXPECT_ERROR(WITH_OPTS("\"s3_key_template\":\"./{table}/{file_id}.csv\""),
                 "options.s3_key_template: must not have a \".\" segment");
    EXPECT_ERROR(WITH_OPTS("\"s3_key_template\":\"{table}/{file_id}/.\""),
                 "options.s3_key_template: must not have a \".\" segment");
    EXPECT_ERROR(WITH_OPTS("\"s3_prefix\":\"a b\""),
                 "options.s3_prefix: may only contain letters, digits, '_', '.', '-', '=' and '/'");
    EXPECT_ERROR(WITH_OPTS("\"s3_key_template\":\"{prefix}/{tabel}/{file_id}.csv\""),
                 "options.s3_key_template: unknown placeholder (use {prefix} {project} {schema} {table} {dt} {file_id})");
    EXPECT_ERROR(WITH_OPTS("\"s3_key_template\":\"{prefix}/{table}.csv\""),
                 "options.s3_key_template: must contain {file_id} (keys must differ per upload)");
    EXPECT_ERROR(WITH_OPTS("\"s3_key_template\":\"{prefix/{file_id}.csv\""),
                 "options.s3_key_template: unknown placeholder (use {prefix} {project} {schema} {table} {dt} {file_id})");
    EXPECT_ERROR(WITH_OPTS("\"s3_key_template\":\"x}/{file_id}\""),
                 "options.s3_key_template: has a '}' without '{'");
    EXPECT_ERROR(WITH_OPTS("\"s3_key_template\":\"x/{file_id\""),
                 "options.s3_key_template: has a '{' without '}'");
    /* A key ending in '/' names a folder: every file would fail at its upload. */
    EXPECT_ERROR(WITH_OPTS("\"s3_key_template\":\"{prefix}/{table}/{file_id}/\""),
                 "options.s3_key_template: must not end in '/' (the key names the file, not a folder)");
    EXPECT_ERROR(WITH_OPTS("\"s3_key_template\":\"{file_id}/\""),
                 "options.s3_key_template: must not end in '/' (the key names the file, not a folder)");
    EXPECT_ERROR(WITH_OPTS("\"s3_key_template\":\"{prefix}/_hookgate/landed/{file_id}.json\""),
                 "options.s3_key_template: must not use a _hookgate folder (hookgate's markers live there)");
    EXPECT_ERROR(WITH_OPTS("\"s3_prefix\":\"landing/_hookgate\""),
                 "options.s3_prefix: must not use a _hookgate folder (hookgate's markers live there)");
    /* notify_channel: a channel ID only. A #name would pass chat.postMessage
     * but not the conversations.history duplicate check, so every file
     * would end in a permanent bad_channel at the notify step. */
#define CHANNEL_NAME_REFUSED "options.notify_channel: must be the channel ID (e.g. C0123ABCD, " \
        "shown at the bottom of the channel's details), not a #name: the history look-up that " \
        "keeps result messages from being posted twice (conversations.history) needs the ID"
#define CHANNEL_ID_MALFORMED "options.notify_channel: must be a Slack channel ID: C, G or D " \
        "followed by upper-case letters and digits, e.g. C0123ABCD (shown at the bottom of the " \
        "channel's details)"
    EXPECT_ERROR(WITH_OPTS("\"notify_channel\":\"#data-loads\""), CHANNEL_NAME_REFUSED);
    EXPECT_ERROR(WITH_OPTS("\"notify_channel\":\"#C0123ABCD\""), CHANNEL_NAME_REFUSED);
    EXPECT_ERROR(WITH_OPTS("\"notify_channel\":\"#data team\""), CHANNEL_NAME_REFUSED);
    EXPECT_ERROR(WITH_OPTS("\"notify_channel\":\"#\""), CHANNEL_NAME_REFUSED);
    EXPECT_ERROR(WITH_OPTS("\"notify_channel\":\"\""),
                 "options.notify_channel: must not be empty (use the channel ID, e.g. C0123ABCD)");
    EXPECT_ERROR(WITH_OPTS("\"notify_channel\":\"data-loads\""), CHANNEL_ID_MALFORMED);
    EXPECT_ERROR(WITH_OPTS("\"notify_channel\":\"c0123abcd\""), CHANNEL_ID_MALFORMED);
    EXPECT_ERROR(WITH_OPTS("\"notify_channel\":\"U0123ABCD\""), CHANNEL_ID_MALFORMED);
    EXPECT_ERROR(WITH_OPTS("\"notify_channel\":\"C\""), CHANNEL_ID_MALFORMED);
    EXPECT_ERROR(WITH_OPTS("\"notify_channel\":\"C0123-ABC\""), CHANNEL_ID_MALFORMED);
    EXPECT_ERROR(WITH_OPTS("\"notify_channel\":\"C0123ABC \""), CHANNEL_ID_MALFORMED);
    EXPECT_ERROR(WITH_OPTS("\"notify_channel\":1"), "options.notify_channel: must be a string");

    /* Oversized input. */
    size_t big = HG_TABLE_CONFIG_MAX_BYTES + 1;
    char *b = malloc(big);
    memset(b, ' ', big);
    t = hgc_table_parse(b, big, NULL, err, sizeof err);
    CHECK(t == NULL);
    CHECK_STR(err, "config: larger than 1048576 bytes");
    free(b);
}

static void test_name_from_file(void)
{
    char out[HG_TABLE_NAME_MAX + 1];
    CHECK_INT(hgc_table_name_from_file("campaign_tags.csv", out, sizeof out, err, sizeof err), 0);
    CHECK_STR(out, "campaign_tags");
    CHECK_INT(hgc_table_name_from_file("Sales-2024.v2.CSV", out, sizeof out, err, sizeof err), 0);
    CHECK_STR(out, "Sales-2024.v2");

    static const char *const bad[] = {
        "../etc.csv", "a/b.csv", "a\\b.csv", ".hidden.csv", "a..b.csv", "x.txt", ".csv", "csv",
        "名前.csv", "a b.csv", "tab\t.csv", "", "a.csv.json",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = hgc_table_name_from_file(bad[i], out, sizeof out, err, sizeof err);
        CHECK_INT(rc, -1);
        if (rc == 0)
            fprintf(stderr, "  accepted bad name '%s'\n", bad[i]);
        CHECK(strchr(err, '\t') == NULL);   /* never echoes control characters */
    }
    CHECK_INT(hgc_table_name_from_file("a/b.csv", out, sizeof out, err, sizeof err), -1);
    CHECK_STR(err, "file name 'a/b.csv' contains a path separator");

    char longname[HG_TABLE_NAME_MAX + 8];
    memset(longname, 'a', HG_TABLE_NAME_MAX);
    memcpy(longname + HG_TABLE_NAME_MAX, ".csv", 5);
    CHECK_INT(hgc_table_name_from_file(longname, out, sizeof out, err, sizeof err), 0);
    CHECK_INT(strlen(out), HG_TABLE_NAME_MAX);
    memset(longname, 'a', HG_TABLE_NAME_MAX + 1);
    memcpy(longname + HG_TABLE_NAME_MAX + 1, ".csv", 5);
    CHECK_INT(hgc_table_name_from_file(longname, out, sizeof out, err, sizeof err), -1);
    CHECK(strstr(err, "too long") != NULL);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
}

static void test_load_file(void)
{
    char dir[] = "/tmp/hgc_tables_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/campaign_tags.json", dir);
    write_file(path, "{\"project\":\"mkt\",\"name\":\"campaign_tags\",\"schema\":\"sheets\"," MAPS "}");
    snprintf(path, sizeof path, "%s/broken.json", dir);
    write_file(path, "{\"project\":\"mkt\",\"name\":\"broken\",\"schema\":\"sheets\"," MAPS
                     ",\"options\":{\"on_empty\":\"never\"}}");
    snprintf(path, sizeof path, "%s/renamed.json", dir);
    write_file(path, "{\"project\":\"mkt\",\"name\":\"other\",\"schema\":\"sheets\"," MAPS "}");
    snprintf(path, sizeof path, "%s/adir.json", dir);
    CHECK_INT(mkdir(path, 0700), 0);

    enum hgc_table_error e;
    struct hgc_table *t = hgc_tables_load_file(dir, "campaign_tags.csv", &e, err, sizeof err);
    CHECK(t != NULL);
    CHECK_INT(e, HGC_TABLE_OK);
    if (t)
        CHECK_STR(t->name, "campaign_tags");
    hgc_table_destroy(t);

    t = hgc_tables_load_file(dir, "missing.csv", &e, err, sizeof err);
    CHECK(t == NULL);
    CHECK_INT(e, HGC_TABLE_NOT_FOUND);
    CHECK_STR(err, "no table config missing.json for missing.csv");

    /* The directory itself missing (a mount not up): unavailable, retried,
     * not "no table config" for every file. */
    char nodir[300];
    snprintf(nodir, sizeof nodir, "%s/not-mounted", dir);
    t = hgc_tables_load_file(nodir, "campaign_tags.csv", &e, err, sizeof err);
    CHECK(t == NULL);
    CHECK_INT(e, HGC_TABLE_UNAVAILABLE);
    CHECK(strstr(err, "table config directory") != NULL && strstr(err, "No such file") != NULL);

    t = hgc_tables_load_file(dir, "broken.csv", &e, err, sizeof err);
    CHECK(t == NULL);
    CHECK_INT(e, HGC_TABLE_INVALID);
    CHECK_STR(err, "broken.json: options.on_empty: must be \"drop_row\" or \"error\"");

    t = hgc_tables_load_file(dir, "renamed.csv", &e, err, sizeof err);
    CHECK(t == NULL);
    CHECK_INT(e, HGC_TABLE_INVALID);
    CHECK_STR(err, "renamed.json: name: must be 'renamed' (the file's table name)");

    t = hgc_tables_load_file(dir, "../campaign_tags.csv", &e, err, sizeof err);
    CHECK(t == NULL);
    CHECK_INT(e, HGC_TABLE_BAD_NAME);

    t = hgc_tables_load_file(dir, "adir.csv", &e, err, sizeof err);
    CHECK(t == NULL);
    CHECK_INT(e, HGC_TABLE_IO);

    /* A path that cannot name a file stays wrong: a symlink loop. */
    char loop_a[256], loop_b[256];
    snprintf(loop_a, sizeof loop_a, "%s/loop.json", dir);
    snprintf(loop_b, sizeof loop_b, "%s/loop2.json", dir);
    CHECK_INT(symlink(loop_b, loop_a), 0);
    CHECK_INT(symlink(loop_a, loop_b), 0);
    t = hgc_tables_load_file(dir, "loop.csv", &e, err, sizeof err);
    CHECK(t == NULL);
    CHECK_INT(e, HGC_TABLE_IO);
    unlink(loop_a);
    unlink(loop_b);

    /* Out of descriptors (EMFILE) may pass: HGC_TABLE_UNAVAILABLE, retried. */
    struct rlimit old_lim, low;
    CHECK_INT(getrlimit(RLIMIT_NOFILE, &old_lim), 0);
    low = old_lim;
    low.rlim_cur = 64;
    CHECK_INT(setrlimit(RLIMIT_NOFILE, &low), 0);
    int held[64], nheld = 0;
    while (nheld < 64 && (held[nheld] = dup(0)) >= 0)
        nheld++;
    t = hgc_tables_load_file(dir, "campaign_tags.csv", &e, err, sizeof err);
    for (int i = 0; i < nheld; i++)
        close(held[i]);
    CHECK_INT(setrlimit(RLIMIT_NOFILE, &old_lim), 0);
    CHECK(t == NULL);
    CHECK_INT(e, HGC_TABLE_UNAVAILABLE);
    CHECK(strstr(err, "Too many open files") != NULL);
    hgc_table_destroy(t);

    snprintf(path, sizeof path, "%s/adir.json", dir);
    rmdir(path);
    const char *files[] = { "campaign_tags.json", "broken.json", "renamed.json" };
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* notify_channel takes a Slack channel ID (what chat.postMessage and the
 * conversations.history duplicate check both accept) and nothing else. */
static void test_notify_channel(void)
{
    static const char *const ids[] = { "C0123ABCD", "G8PSS9T3V", "D024BE91L", "C0OPS", "C9" };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char json[512];
        snprintf(json, sizeof json, WITH_OPTS("\"notify_channel\":\"%s\""), ids[i]);
        struct hgc_table *t = parse(json);
        CHECK(t != NULL);
        if (t)
            CHECK_STR(t->notify_channel, ids[i]);
        else
            fprintf(stderr, "%s: %s\n", ids[i], err);
        hgc_table_destroy(t);
        CHECK(hgc_channel_id_check(ids[i]) == NULL);
    }
    /* Longest accepted: HGC_SLACK_ID_MAX bytes; one more is refused. */
    char id[HGC_SLACK_ID_MAX + 2];
    memset(id, '7', sizeof id - 1);
    id[0] = 'C';
    id[HGC_SLACK_ID_MAX] = '\0';
    CHECK(hgc_channel_id_check(id) == NULL);
    id[HGC_SLACK_ID_MAX] = '7';
    id[HGC_SLACK_ID_MAX + 1] = '\0';
    CHECK(hgc_channel_id_check(id) != NULL);
    /* The same reasons for the setting (HOOKGATE_SLACK_CHANNEL) and the Slack calls. */
    CHECK(hgc_channel_id_check(NULL) != NULL);
    CHECK(hgc_channel_id_check("") != NULL);
    CHECK(strstr(hgc_channel_id_check("#data-loads"), "not a #name") != NULL);
    CHECK(strstr(hgc_channel_id_check("#data-loads"), "C0123ABCD") != NULL);
    CHECK(strstr(hgc_channel_id_check("data-loads"), "C0123ABCD") != NULL);
}

int main(void)
{
    test_issue_example();
    test_defaults_and_all_fields();
    test_invalid_fields();
    test_notify_channel();
    test_name_from_file();
    test_load_file();
    return TEST_DONE();
}
