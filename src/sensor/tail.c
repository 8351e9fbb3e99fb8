/*
 * Following a log file like `tail -F`: reads what was appended; when the file has no more
 * and its name now points at another file (rotation by rename) or the file shrank
 * (truncation), reopens it and reads the new one from the start.
 */
#include "sensor/sensor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/banned.h"

void
kz_sensor_tail_init(struct kz_sensor_tail *t, const char *path)
{
    memset(t, 0, sizeof(*t));
    t->path = kz_xstrdup(path);
    t->fd = -1;
}

void
kz_sensor_tail_release(struct kz_sensor_tail *t)
{
    if (t->fd >= 0)
        close(t->fd);
    free(t->path);
    t->path = NULL;
    t->fd = -1;
}

static bool
open_file(struct kz_sensor_tail *t)
{
    struct stat st;
    int fd = open(t->path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return false;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return false;
    }
    t->fd = fd;
    t->dev = st.st_dev;
    t->ino = st.st_ino;
    t->off = 0;
    return true;
}

kz_err
kz_sensor_tail_read(struct kz_sensor_tail *t, struct kz_buf *out, size_t max,
                    enum kz_sensor_tail_event *event)
{
    char chunk[65536];
    size_t got = 0;
    struct stat now, cur;

    *event = KZ_TAIL_DATA;
    if (t->fd < 0) {
        /* Not there yet (or between a rename and the new file): a later call retries. */
        if (open_file(t))
            *event = KZ_TAIL_REOPENED;
        return KZ_OK;
    }
    while (got < max) {
        size_t want = max - got < sizeof(chunk) ? max - got : sizeof(chunk);
        ssize_t n = read(t->fd, chunk, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return KZ_ERR_IO;
        if (n == 0)
            break;
        if (kz_buf_append(out, chunk, (size_t)n) != KZ_OK)
            return KZ_ERR_LIMIT;
        got += (size_t)n;
        t->off += n;
    }
    if (got > 0)
        return KZ_OK;
    /* At the end of what we have: was the file rotated or truncated meanwhile? */
    if (fstat(t->fd, &cur) == 0 && cur.st_size < t->off) {
        lseek(t->fd, 0, SEEK_SET);
        t->off = 0;
        *event = KZ_TAIL_REOPENED;
        return KZ_OK;
    }
    if (stat(t->path, &now) != 0)
        return KZ_OK; /* renamed away, the new one not created yet: keep the old open */
    if (now.st_ino != t->ino || now.st_dev != t->dev) {
        close(t->fd);
        t->fd = -1;
        if (open_file(t))
            *event = KZ_TAIL_REOPENED;
    }
    return KZ_OK;
}
