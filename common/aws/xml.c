/* xml.c — bounded walks over AWS XML with expat (no DTDs): a callback per
 * wanted element (hg_xml_walk), and a few first-match text fields on top
 * of it (hg_xml_extract). */
#include "common/aws/xml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#define XML_PATH_MAX 512u

struct xstate {
    XML_Parser p;
    const struct hg_xml_walk *w;
    char path[XML_PATH_MAX];
    size_t plen;
    size_t lens[HG_AWS_XML_MAX_DEPTH + 1];  /* path length before each level */
    unsigned depth;
    long cur;                   /* wanted element whose text is being collected, or -1 */
    long cur_depth;             /* its depth */
    char *text;                 /* w->text_max bytes */
    size_t text_len;
    bool text_cut;              /* the current text was cut to text_max: drop the rest */
    char *root;
    size_t root_size;
    const char *fail;           /* our own reason for stopping */
    char fail_buf[128];
};

static const char *local_name(const char *name)
{
    const char *sep = strrchr(name, '|');   /* "uri|local" with namespaces */
    return sep ? sep + 1 : name;
}

static void stop(struct xstate *s, const char *why)
{
    if (!s->fail)
        s->fail = why;
    XML_StopParser(s->p, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    struct xstate *s = ud;
    (void)attrs;
    if (s->fail)
        return;
    const char *ln = local_name(name);
    if (s->depth >= HG_AWS_XML_MAX_DEPTH) {
        stop(s, "nested too deeply");
        return;
    }
    if (s->depth == 0 && s->root)
        snprintf(s->root, s->root_size, "%s", ln);
    s->lens[s->depth] = s->plen;
    size_t ll = strlen(ln);
    if (s->plen + ll + 2 > sizeof s->path) {
        stop(s, "element path too long");
        return;
    }
    if (s->depth) {
        s->path[s->plen++] = '/';
    }
    memcpy(s->path + s->plen, ln, ll);
    s->plen += ll;
    s->path[s->plen] = '\0';
    s->depth++;
    /* A child's text is its own: the text of an enclosing wanted element
     * is what follows its last child. */
    s->cur = -1;
    s->text_len = 0;
    s->text_cut = false;
    for (size_t i = 0; i < s->w->npaths; i++) {
        if (strcmp(s->w->paths[i], s->path) == 0 &&
            (!s->w->want || s->w->want(s->w->ud, i))) {
            s->cur = (long)i;
            s->cur_depth = (long)s->depth;
            break;
        }
    }
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct xstate *s = ud;
    (void)name;
    if (s->fail || s->depth == 0)
        return;
    /* Which wanted element (if any) ends here? */
    long idx = -1;
    for (size_t i = 0; i < s->w->npaths; i++)
        if (strcmp(s->w->paths[i], s->path) == 0) {
            idx = (long)i;
            break;
        }
    if (idx >= 0 && (!s->w->want || s->w->want(s->w->ud, (size_t)idx))) {
        bool own = s->cur == idx && s->cur_depth == (long)s->depth;
        s->text[own ? s->text_len : 0] = '\0';
        const char *why = s->w->fn(s->w->ud, (size_t)idx, s->text, own ? s->text_len : 0);
        if (why) {
            snprintf(s->fail_buf, sizeof s->fail_buf, "%s", why);
            stop(s, s->fail_buf);
            return;
        }
    }
    s->cur = -1;
    s->text_len = 0;
    s->text_cut = false;
    s->depth--;
    s->plen = s->lens[s->depth];
    s->path[s->plen] = '\0';
}

static void XMLCALL on_text(void *ud, const XML_Char *t, int len)
{
    struct xstate *s = ud;
    if (s->fail || s->cur < 0 || len <= 0 || s->text_cut)
        return;
    if (s->text_len + (size_t)len + 1 > s->w->text_max) {
        if (!s->w->cut || !s->w->cut(s->w->ud, (size_t)s->cur)) {
            stop(s, "field text too long");
            return;
        }
        /* Keep what fits, in whole UTF-8 characters. */
        size_t n = s->w->text_max - 1 - s->text_len;
        while (n > 0 && ((unsigned char)t[n] & 0xC0) == 0x80)
            n--;
        len = (int)n;
        s->text_cut = true;
    }
    memcpy(s->text + s->text_len, t, (size_t)len);
    s->text_len += (size_t)len;
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal)
{
    (void)name; (void)sysid; (void)pubid; (void)has_internal;
    stop(ud, "DOCTYPE not allowed");
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int is_param,
                              const XML_Char *value, int value_len, const XML_Char *base,
                              const XML_Char *sysid, const XML_Char *pubid,
                              const XML_Char *notation)
{
    (void)name; (void)is_param; (void)value; (void)value_len; (void)base;
    (void)sysid; (void)pubid; (void)notation;
    stop(ud, "entity declarations not allowed");
}

int hg_xml_walk(const char *doc, size_t len, const struct hg_xml_walk *w,
                char *root, size_t root_size, char *errstr, size_t errstr_size)
{
    struct xstate s;
    size_t max = w->max_doc ? w->max_doc : HG_AWS_XML_MAX;
    int rc = -1;

    memset(&s, 0, sizeof s);
    s.w = w;
    s.cur = -1;
    s.root = root_size ? root : NULL;
    s.root_size = root_size;
    if (s.root)
        s.root[0] = '\0';
    if (len > max) {
        snprintf(errstr, errstr_size, "xml: document over %zu bytes", max);
        return -1;
    }
    while (len && (*doc == ' ' || *doc == '\n' || *doc == '\r' || *doc == '\t')) {
        doc++;
        len--;
    }
    if (len == 0) {
        snprintf(errstr, errstr_size, "xml: empty document");
        return -1;
    }
    s.text = malloc(w->text_max ? w->text_max : 1);
    s.p = XML_ParserCreateNS(NULL, '|');
    if (!s.p || !s.text) {
        snprintf(errstr, errstr_size, "xml: out of memory");
        goto out;
    }
    XML_SetUserData(s.p, &s);
    XML_SetElementHandler(s.p, on_start, on_end);
    XML_SetCharacterDataHandler(s.p, on_text);
    XML_SetStartDoctypeDeclHandler(s.p, on_doctype);
    XML_SetEntityDeclHandler(s.p, on_entity);
    XML_SetParamEntityParsing(s.p, XML_PARAM_ENTITY_PARSING_NEVER);
    enum XML_Status st = XML_Parse(s.p, doc, (int)len, XML_TRUE);
    if (s.fail) {
        snprintf(errstr, errstr_size, "xml: %s", s.fail);
        goto out;
    }
    if (st != XML_STATUS_OK) {
        snprintf(errstr, errstr_size, "xml: %s at line %lu column %lu",
                 XML_ErrorString(XML_GetErrorCode(s.p)),
                 (unsigned long)XML_GetCurrentLineNumber(s.p),
                 (unsigned long)XML_GetCurrentColumnNumber(s.p));
        goto out;
    }
    rc = 0;
out:
    if (s.p)
        XML_ParserFree(s.p);
    free(s.text);
    return rc;
}

/* hg_xml_extract over hg_xml_walk: the first match of each field. */
struct extract {
    struct hg_xml_field *fields;
};

static bool extract_want(void *ud, size_t idx)
{
    struct extract *x = ud;
    return !x->fields[idx].found;
}

static bool extract_cut(void *ud, size_t idx)
{
    struct extract *x = ud;
    return x->fields[idx].cut;
}

static const char *extract_field(void *ud, size_t idx, const char *text, size_t len)
{
    struct hg_xml_field *f = &((struct extract *)ud)->fields[idx];
    if (len + 1 > f->out_size) {
        if (!f->cut || f->out_size == 0)
            return "field text too long";
        len = f->out_size - 1;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(f->out, text, len);
    f->out[len] = '\0';
    f->found = true;
    return NULL;
}

int hg_xml_extract(const char *doc, size_t len, char *root, size_t root_size,
                   struct hg_xml_field *fields, size_t nfields,
                   char *errstr, size_t errstr_size)
{
    const char *paths[HG_XML_MAX_FIELDS];
    struct extract x = { fields };
    size_t text_max = 1;
    if (nfields > HG_XML_MAX_FIELDS) {
        snprintf(errstr, errstr_size, "xml: too many fields");
        return -1;
    }
    for (size_t i = 0; i < nfields; i++) {
        fields[i].found = false;
        if (fields[i].out_size)
            fields[i].out[0] = '\0';
        paths[i] = fields[i].path;
        if (fields[i].out_size > text_max)
            text_max = fields[i].out_size;
    }
    struct hg_xml_walk w = { .paths = paths, .npaths = nfields, .text_max = text_max,
                             .want = extract_want, .cut = extract_cut, .fn = extract_field,
                             .ud = &x };
    return hg_xml_walk(doc, len, &w, root, root_size, errstr, errstr_size);
}
