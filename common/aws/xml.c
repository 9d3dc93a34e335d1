/* xml.c — bounded field extraction from AWS XML with expat (no DTDs). */
#include "common/aws/xml.h"

#include <stdio.h>
#include <string.h>

#include <expat.h>

#define XML_PATH_MAX 512u

struct xstate {
    XML_Parser p;
    char path[XML_PATH_MAX];
    size_t plen;
    size_t lens[HG_AWS_XML_MAX_DEPTH + 1];  /* path length before each level */
    unsigned depth;
    struct hg_xml_field *fields;
    size_t nfields;
    struct hg_xml_field *cur;   /* field whose text is being collected */
    size_t cur_len;
    char *root;
    size_t root_size;
    const char *fail;           /* our own reason for stopping */
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
    s->cur = NULL;
    for (size_t i = 0; i < s->nfields; i++) {
        if (!s->fields[i].found && strcmp(s->fields[i].path, s->path) == 0) {
            s->cur = &s->fields[i];
            s->cur_len = 0;
            if (s->cur->out_size)
                s->cur->out[0] = '\0';
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
    if (s->cur) {
        s->cur->found = true;
        s->cur = NULL;
    }
    s->depth--;
    s->plen = s->lens[s->depth];
    s->path[s->plen] = '\0';
}

static void XMLCALL on_text(void *ud, const XML_Char *t, int len)
{
    struct xstate *s = ud;
    if (s->fail || !s->cur || len <= 0)
        return;
    if (s->cur_len + (size_t)len + 1 > s->cur->out_size) {
        stop(s, "field text too long");
        return;
    }
    memcpy(s->cur->out + s->cur_len, t, (size_t)len);
    s->cur_len += (size_t)len;
    s->cur->out[s->cur_len] = '\0';
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

int hg_xml_extract(const char *doc, size_t len, char *root, size_t root_size,
                   struct hg_xml_field *fields, size_t nfields,
                   char *errstr, size_t errstr_size)
{
    struct xstate s;
    int rc = -1;

    memset(&s, 0, sizeof s);
    s.fields = fields;
    s.nfields = nfields;
    s.root = root_size ? root : NULL;
    s.root_size = root_size;
    if (s.root)
        s.root[0] = '\0';
    for (size_t i = 0; i < nfields; i++) {
        fields[i].found = false;
        if (fields[i].out_size)
            fields[i].out[0] = '\0';
    }
    if (len > HG_AWS_XML_MAX) {
        snprintf(errstr, errstr_size, "xml: document over %u bytes", HG_AWS_XML_MAX);
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
    s.p = XML_ParserCreateNS(NULL, '|');
    if (!s.p) {
        snprintf(errstr, errstr_size, "xml: out of memory");
        return -1;
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
    XML_ParserFree(s.p);
    return rc;
}
