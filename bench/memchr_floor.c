/*
 * bench/memchr_floor: the floor of the machine for the match benchmark. Maps a file the way
 * kizuna match does (MAP_POPULATE) and finds every line end with memchr, nothing else.
 * Prints "lines seconds".
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
    struct timespec a, b;
    struct stat st;
    const char *p, *e, *base;
    long lines = 0;
    int fd;

    if (argc != 2) {
        fprintf(stderr, "usage: memchr_floor FILE\n");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &a);
    fd = open(argv[1], O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(argv[1]);
        return 1;
    }
    base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (base == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    p = base;
    e = base + st.st_size;
    while (p < e) {
        const char *q = memchr(p, '\n', (size_t)(e - p));
        lines++;
        if (!q)
            break;
        p = q + 1;
    }
    munmap((void *)(unsigned long)base, (size_t)st.st_size);
    close(fd);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%ld %.6f\n", lines, (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
    return 0;
}
