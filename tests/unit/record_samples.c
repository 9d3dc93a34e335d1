/* record_samples.c — prints records made by hg_record_write, one per line,
 * for test_record_schema.py to validate against common/record.schema.json. */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/record.h"

int main(void)
{
    const char *data = "{\"type\":\"event_callback\",\"event\":{\"type\":\"message\",\"text\":\"h\\u00e9\"}}";
    const struct hg_record_fields samples[] = {
        { .id = "Ev0123ABC", .type = "com.slack.events.message", .source = "slack://T123/A456",
          .time_ms = 1531420618123, .team = "T123", .channel = "C0123", .app = "A456",
          .retry_num = 3, .retry_reason = "http_timeout", .route = "events",
          .envelope = "apigw-v2", .encoding = "json+base64", .received_ms = 1531420619001,
          .data = data, .data_len = strlen(data) },
        { .id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", .type = "com.slack.command",
          .source = "slack://T1", .time_ms = 1700000000000, .route = "commands",
          .envelope = "none", .encoding = "form",
          .data = "{\"command\":\"/deploy\",\"text\":\"\"}", .data_len = 31 },
        { .id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", .type = "com.slack.interactive.block_actions",
          .source = "slack://T1/A2", .time_ms = 1, .route = "interactive", .envelope = "alb",
          .encoding = "form-payload", .data = "{}", .data_len = 2 },
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        struct hg_buf b;
        hg_buf_init(&b, 1 << 16);
        if (hg_record_write(&b, &samples[i]) != 0) {
            fprintf(stderr, "sample %zu: hg_record_write failed\n", i);
            rc = 1;
        } else {
            printf("%s\n", b.data);
        }
        hg_buf_cleanup(&b);
    }
    return rc;
}
