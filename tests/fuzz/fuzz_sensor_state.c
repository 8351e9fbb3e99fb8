/*
 * Fuzz target for what the sensor reads back from its own disk, which may be damaged: a
 * state file (header line and objects) and a spool batch (a TAXII envelope).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sensor/sensor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    struct kz_sensor_state st;
    struct kz_buf objs;
    FILE *f;

    snprintf(path, sizeof(path), "/tmp/kz-fuzz-state-%ld.jsonl", (long)getpid());
    f = fopen(path, "wb");
    if (!f)
        return 0;
    if (size)
        fwrite(data, 1, size, f);
    fclose(f);
    kz_buf_init(&objs, (size_t)1 << 24);
    (void)kz_sensor_state_read(path, &st, &objs);
    kz_buf_release(&objs);
    unlink(path);
    (void)kz_sensor_spool_sightings((const char *)data, size);
    return 0;
}
