/* Files the sensor must not lose or half-write: directories made on demand, atomic writes. */
#include "sensor/sensor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/banned.h"

kz_err
kz_sensor_mkdirs(const char *path)
{
    char p[4096];
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof(p))
        return KZ_ERR_INVALID;
    memcpy(p, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        p[i] = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            return KZ_ERR_IO;
        p[i] = i == n ? '\0' : '/';
    }
    return KZ_OK;
}

static kz_err
fsync_dir_of(const char *path)
{
    char d[4096];
    const char *slash = strrchr(path, '/');
    int fd, rc;

    if (!slash)
        snprintf(d, sizeof(d), ".");
    else
        snprintf(d, sizeof(d), "%.*s", (int)(slash == path ? 1 : slash - path), path);
    fd = open(d, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return KZ_ERR_IO;
    rc = fsync(fd);
    close(fd);
    return rc == 0 ? KZ_OK : KZ_ERR_IO;
}

kz_err
kz_sensor_write_atomic(const char *path, const void *p, size_t n)
{
    char tmp[4200];
    const char *c = p;
    int fd;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
        return KZ_ERR_LIMIT;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return KZ_ERR_IO;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return KZ_ERR_IO;
        }
        c += w;
        n -= (size_t)w;
    }
    /* The bytes reach the disk before the name does: a crash leaves the old file or the new. */
    if (fsync(fd) != 0) {
        close(fd);
        unlink(tmp);
        return KZ_ERR_IO;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return KZ_ERR_IO;
    }
    return fsync_dir_of(path);
}
