/* xml.h — bounded walks over AWS XML documents with expat: a callback for
 * every wanted element (S3 listings), or the text of a few first-match
 * fields (S3 errors and multipart results, STS responses). */
#ifndef HG_AWS_XML_H
#define HG_AWS_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "common/limits.h"

#define HG_XML_MAX_FIELDS 16u   /* fields of one hg_xml_extract call */

/* A walk: paths of wanted elements (local names from the root, joined by
 * '/', namespaces ignored, e.g. "ListBucketResult/Contents/Key"). At the end
 * of each, fn gets its index and its own text (NUL-terminated, children's
 * text not included); fn returns NULL to go on, or a short reason to stop
 * the walk with (the walk then fails "xml: <reason>"). want (may be NULL)
 * is asked at the start and end of each match whether it is wanted now. */
typedef const char *(*hg_xml_element_fn)(void *ud, size_t idx, const char *text, size_t len);
struct hg_xml_walk {
    const char *const *paths;
    size_t      npaths;
    size_t      max_doc;     /* 0 = HG_AWS_XML_MAX */
    size_t      text_max;    /* bytes of a wanted element's text, incl. NUL; more fails */
    bool      (*want)(void *ud, size_t idx);
    bool      (*cut)(void *ud, size_t idx);   /* may be NULL: whether a wanted element's
                                                 longer text is cut to text_max instead */
    hg_xml_element_fn fn;
    void       *ud;
};

/* Parse doc[0..len) (leading whitespace skipped) and call w->fn for every
 * wanted element, in document order. Rejects documents over w->max_doc,
 * deeper than HG_AWS_XML_MAX_DEPTH, with a DOCTYPE or entity declarations,
 * malformed XML, or a wanted element's text over w->text_max. root (may be
 * NULL) receives the root element's local name. Returns 0, or -1 with a
 * short reason in errstr (no document text echoed). */
int hg_xml_walk(const char *doc, size_t len, const struct hg_xml_walk *w,
                char *root, size_t root_size, char *errstr, size_t errstr_size);

/* One wanted element, by its path of local names from the root
 * ("Error/Code"; namespaces ignored). The text of the first match is copied
 * into out (NUL-terminated); found says whether it was seen. With cut, a
 * text that does not fit is cut to the whole UTF-8 characters that do (for
 * messages shown to people, never for values used as they are). */
struct hg_xml_field {
    const char *path;
    char       *out;
    size_t      out_size;
    bool        found;
    bool        cut;
};

/* Parse doc[0..len) (leading whitespace skipped: S3 pads long operations
 * with spaces), at most HG_XML_MAX_FIELDS fields. Rejects documents over HG_AWS_XML_MAX bytes, deeper than
 * HG_AWS_XML_MAX_DEPTH, with a DOCTYPE (no entities, no external anything),
 * malformed XML, or a wanted field whose text does not fit its out (unless
 * the field says cut). root
 * (may be NULL) receives the root element's local name. Returns 0, or -1
 * with a short reason in errstr (no document text echoed). */
int hg_xml_extract(const char *doc, size_t len, char *root, size_t root_size,
                   struct hg_xml_field *fields, size_t nfields,
                   char *errstr, size_t errstr_size);

#endif
