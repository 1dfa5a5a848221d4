#!/usr/bin/env node
// Memory (issue 11, item 9): what a long-running `visage serve` kept after heavy use was glibc's malloc
// arenas. Each thread that allocates under contention (libuv's pool, libvips' workers, ONNX Runtime)
// gets an arena of its own, up to 8 per core, and an arena keeps the pages it freed. `npm start` therefore
// runs this file with MALLOC_ARENA_MAX=2 (package.json; a value already in the environment wins).
// Measured with `npm run bench:load` (fuzz mix, 3 rounds; RSS MiB at start / peak / after a quiet minute;
// shared 2-core machine at load 7-19, runs interleaved): glibc's default 291/750/475, 299/706/424,
// 300/674/404, 302/734/450, 301/674/398; MALLOC_ARENA_MAX=2 280/634/277, 292/638/347, 285/464/326
// (0 5xx and every recognition named in all of them).
// Decoding is as fast (median of 40, ms, three interleaved runs each): bbt1.jpg 42.6/45.4/42.6 default vs
// 39.2/43.8/44.7, obama-1080p.jpg 21.2/26.1/19.3 vs 22.3/28.1/19.5. Tried and dropped: glibc's
// mmap_threshold and trim_threshold at 128 KiB on top (GLIBC_TUNABLES) also lowered start and peak
// (241/493/340) but made every large pixel buffer a fresh mmap: obama-1080p's fastest
// decode 16.7-17.6 ms vs 13.6-14.7; sharp.concurrency(1) (last session: 344 MiB after the quiet minute,
// decode 8.8 -> 15.6 ms).
// The variable must be set before the process starts (glibc reads it at its first malloc): it cannot be
// set from here, and re-running node as a child with it would put a second process between the server
// and its signals (a terminal's Ctrl-C or systemd's SIGTERM reaching both would be a second, forced stop).
// Started some other way (systemd, a container), set MALLOC_ARENA_MAX=2 in that service's environment.
import '../dist/cli/main.js';
