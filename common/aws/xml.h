/* xml.h — bounded extraction of a few text fields from small AWS XML
 * documents (S3 errors and multipart results, STS responses) with expat. */
#ifndef HG_AWS_XML_H
#define HG_AWS_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "common/limits.h"

/* One wanted element, by its path of local names from the root
 * ("Error/Code"; namespaces ignored). The text of the first match is copied
 * into out (NUL-terminated); found says whether it was seen. */
struct hg_xml_field {
    const char *path;
    char       *out;
    size_t      out_size;
    bool        found;
};

/* Parse doc[0..len) (leading whitespace skipped: S3 pads long operations
 * with spaces). Rejects documents over HG_AWS_XML_MAX bytes, deeper than
 * HG_AWS_XML_MAX_DEPTH, with a DOCTYPE (no entities, no external anything),
 * malformed XML, or a wanted field whose text does not fit its out. root
 * (may be NULL) receives the root element's local name. Returns 0, or -1
 * with a short reason in errstr (no document text echoed). */
int hg_xml_extract(const char *doc, size_t len, char *root, size_t root_size,
                   struct hg_xml_field *fields, size_t nfields,
                   char *errstr, size_t errstr_size);

#endif
