"""Benchmark: plan and apply at scale, against the emulator as a separate process on loopback (issue #6).

    .venv/bin/python tests/benchmarks/bench_scale.py

(the VmHWM it reports as it exits), and the requests/s the emulator served it (its request log).
(ru_maxrss of its own subprocess, from os.wait4), and the requests/s the emulator served it (its request log).
Naive baselines run the same way, beside ours: DeepDiff on dicts keyed by the record key at 100,000 rows, and a
dicts-in-memory diff at 1,000,000 rows (csv.DictReader + one json body parsed into dicts).

Scenarios (`--only NAME`, repeatable; `--repeat N` runs each N times and prints best and range; `--json-style
STYLE`, repeatable, runs each plan once per JSON layout the emulator writes, compact (the default), spaced, pretty
or php, against the same seeded data, and prints each style's wall time and peak RSS beside compact's):

- formats-1m:    plan-1m's records from each source format (plain CSV, CSV with quoted commas, gzip CSV, JSON
                 Lines, gzipped JSON Lines), under each --json-style, with a DuckDB floor run on the same files in
                 the same run (it reads the source and the live rows, fetched once, joins and counts), twice: on
                 the live rows' managed fields only, and on the rows as the API sent them (every field: the API
                 cannot send fewer, so a plan parses them all); prints medians of --repeat runs and each plan's
                 ratio to both floors and to plain CSV. Targets: plain CSV <= 2x the floor; the others <= 1.3x
                 plain CSV; peak < 0.8 GB. Needs the `bench` extra (duckdb).
- plan-1m:       RecordSet of --rows (1,000,000) rows, 12 text fields + an integer outcome code; 1% changed,
                 0.5% added (in the source only), 0.5% absent (live only). Target: <= 10 s, <= 1 GB.
- noop-1m:       the same live dataset, source identical to it. Target: <= 10 s, <= 1 GB.
- plan-5m:       as plan-1m with --big-rows (5,000,000). Target: <= 60 s, <= 2 GB.
- members-5m:    CampaignMembership of --members (5,000,000); 0.5% added, 0.5% absent. Target: <= 45 s, 1.5 GB.
- apply-100k:    apply of --apply-rows (100,000) new records, then a no-op plan. Target: >= 30,000 records/s in
                 the create phase (the median of --repeat runs), create batches at the API limit (1,000 rows) in
                 the emulator's request log; prints the CPU seconds of the reconciler and of the emulator.
- apply-updates: apply of plan-1m's changes (10,000 updates and 5,000 creates at --rows) into a fresh copy of its
                 seeded database, then a no-op plan; prints the apply's wall time, its update phase (first update
                 to last, from the request log) and the CPU seconds of the reconciler and of the emulator.
- intake-100k:   the emulator alone: the same creates, encoded beforehand, posted one after another straight at
                 it; records/s and the emulator's CPU seconds (issue #15: accept creates at 50k records/s).
- baseline-dicts:    naive dicts-in-memory diff at --rows.
- baseline-deepdiff: DeepDiff at --deepdiff-rows (100,000), beside plan-100k (ours at the same size).

Each scenario seeds the emulator's SQLite file directly (default seed + the live rows), starts
`python -m reconciler.emulator --db FILE` as its own process, writes a project whose target points at it, and runs
`reconciler plan` (or `apply`) in a subprocess. Data lives under --keep DIR (default: a temporary directory).
The package's bytecode is compiled first (`compileall`, as pip does when it installs a package), so that no timed
run compiles its sources: an environment with PYTHONDONTWRITEBYTECODE set (this machine's) would otherwise compile
them in every run, about 0.15 s of each plan's start. This is not a test; pytest does not collect it.

Measured (issue #15; 2 shared cores, `--only apply-100k --only intake-100k --repeat 3`, main and this revision
one after the other; medians of 3; CPU = user + system seconds; the emulator's CPU during an apply includes the
100,000-record read of the verifying plan):

    load 2.5-4.7   main:  create phase 12,320 records/s, CPU reconciler 7.34 s, emulator 6.33 s; intake 16,260
                          records/s, emulator CPU 5.23 s
    load 4.5-5.8   fast-creates: create phase 16,388 records/s (best 19,831), CPU reconciler 4.14 s, emulator
                          4.99 s; intake 17,940 records/s (best 21,170), emulator CPU 3.97 s

    load 1.9-3.0   main at 2018c33, the machine otherwise quiet: create phase 23,249 records/s (20,624-24,427),
                          CPU reconciler 4.12 s, emulator 4.39 s; intake 24,222 records/s (20,766-26,278), emulator
                          CPU 3.81 s; batch sizes [1000]; the plan after each apply: no changes

The create handler writing its records' docs itself (intake branch, b7635d3), against main at c69a432 in paired
runs (`--repeat 1` each, main and this alternating, 3 rounds, two sets); medians of 3 (range):

    set 1, load 2.0-4.6   main: create phase 22,535 records/s (20,794-23,452), CPU reconciler 4.35 s, emulator
                          4.47 s; intake 24,592 records/s (22,107-29,051), emulator CPU 3.78 s
                          this: create phase 28,881 records/s (26,237-31,237), CPU reconciler 4.44 s, emulator
                          3.57 s; intake 32,609 records/s (29,717-33,646), emulator CPU 2.78 s
    set 2, load 0.1-1.5   main: create phase 19,115 records/s (18,696-26,296), CPU reconciler 5.22 s, emulator
      (CPU rising:        5.45 s; intake 23,152 records/s (18,767-25,073), emulator CPU 4.00 s
      other work began)   this: create phase 24,731 records/s (23,377-29,708), CPU reconciler 5.14 s, emulator
                          4.34 s; intake 25,322 records/s (24,501-28,272), emulator CPU 3.64 s

    this beat main in every pair (12 of 12); batch sizes [1000]; the plan after each apply: no changes

Measured at 2018c33, the machine otherwise quiet (load 1.4-3.7), medians of 3 (`--only formats-1m --repeat 3`,
`--only plan-5m --repeat 3`); the floors: DuckDB on the managed fields / on the rows as fetched:

    plain CSV      9.73 s, peak 520 MB   floors 2.35 / 2.69 s   4.13x / 3.61x floor
    quoted CSV    11.77 s, peak 498 MB   floors 2.62 / 2.55 s   1.21x plain CSV
    gzip CSV      11.47 s, peak 497 MB   floors 2.83 / 3.10 s   1.18x plain CSV
    JSONL         12.78 s, peak 644 MB   floors 2.74 / 3.04 s   1.31x plain CSV
    gzip JSONL    12.60 s, peak 649 MB   floors 2.64 / 2.90 s   1.30x plain CSV
    plan-5m       49.16 s (47.09-54.02), peak 1,513-1,521 MB

Measured at 2783af8 (issue #15, this session's last figures; the same hour the floors ran 20-40% slower than at
2018c33, so compare ratios), `--only formats-1m --repeat 3`, `--only plan-5m --repeat 3`, medians of 3 (load
2.0-3.4, the benchmark's own two processes included):

    plain CSV     11.16 s, peak 546 MB   floors 2.82 / 3.55 s   3.96x / 3.14x floor
    quoted CSV    11.83 s, peak 549 MB   floors 3.43 / 3.87 s   1.06x plain CSV
    gzip CSV      12.24 s, peak 540 MB   floors 3.59 / 3.82 s   1.10x plain CSV
    JSONL         12.66 s, peak 579 MB   floors 3.45 / 3.48 s   1.13x plain CSV   (runs 10.75-15.67 s)
    gzip JSONL    13.48 s, peak 562 MB   floors 3.22 / 3.58 s   1.21x plain CSV
    plan-5m       56.51 s (54.48-57.40), peak 1,558-1,580 MB
    apply-100k    create phase 21,884 records/s (21,659-24,787); intake 22,237 records/s (emulator CPU 4.15 s
                  against 2.78 s for the same code in the intake branch's set 1: this hour's machine was slower)
    members-5m    15.71-16.69 s, peak 1,525-1,548 MB (bench_scale, 807c406); 17.29-19.47 s, 1,506-1,518 MB
                  (b3ecab3, a harness reusing the seeded data)

Measured at 0d005e2 (issue #15, the session after; the machine's speed swung by 30-40% within the hour, so
each figure names its hour's phase), medians of 3:

    formats-1m (slow phase, load 2.6-3.0; floors fields / rows):
    plain CSV      8.83 s, peak 535 MB   floors 2.44 / 2.66 s   3.61x / 3.32x floor
    quoted CSV    10.57 s, peak 532 MB                          1.20x plain CSV
    gzip CSV      10.87 s, peak 530 MB                          1.23x plain CSV
    JSONL         10.61 s, peak 604 MB                          1.20x plain CSV
    gzip JSONL    10.58 s, peak 616 MB                          1.20x plain CSV
    formats-1m at aea9b81 (before the index and check commits; half an hour earlier): plain CSV 8.45 s,
                  floors 2.41 / 2.70 s (3.51x / 3.13x), quoted 1.03x, gzip CSV 1.10x, JSONL 1.23x, gzip JSONL 1.23x
    plan-5m       fast phase: 27.82-28.24 s, 1,558-1,564 MB (two runs); slow phase: 36.05 s (36.05-39.75),
                  1,528-1,548 MB. In alternating runs in one hour: ff5300f 30.59-31.17 s, 1,542-1,590 MB;
                  9365ac4 27.97-28.12 s, 1,551-1,651 MB (before the allocator's 100 ms decay)
    apply-100k    fast phase: 33,807 records/s (32,752-37,128), CPU reconciler 3.21 s, emulator 3.01 s; slow
                  phase: 27,157 records/s (25,706-27,208), CPU 4.56 s / 3.95 s; intake 29,022 records/s (emulator
                  CPU 3.16 s). In alternating runs: ff5300f 32,681-33,782 against 34,036-34,143 (fast phase);
                  24,413 against 24,091 (slow phase, runs 18,999-29,183)

Measured at 5480a09 (issue #15, the next session; a slow hour: the floors ran 10-30% slower than above),
medians of 3, two runs a quarter of an hour apart (run 2 at fdc4002, which changes only error handling):

    formats-1m     run 1 (load 1.7-2.5)                           run 2 (load 1.8-2.9)
    plain CSV      7.84 s, 537 MB, floors 2.86 / 3.21 s           8.48 s, 539 MB, floors 2.66 / 2.86 s
                   2.74x / 2.44x floor                            3.19x / 2.96x floor
    quoted CSV     1.17x plain CSV                                1.03x
    gzip CSV       1.29x                                          1.12x
    JSONL          1.23x (peak 593 MB)                            1.30x (601 MB)
    gzip JSONL     1.39x (peak 613 MB)                            1.31x (604 MB)
    formats-1m at ab2c3d3, 20 minutes before run 1: plain CSV 7.36 s, floors 2.93 / 2.89 s (2.51x / 2.55x),
                   quoted 1.24x, gzip CSV 1.23x, JSONL 1.35x, gzip JSONL 1.42x, peaks 533-616 MB
    plan-5m        39.49 s (39.49-41.80), 1,533-1,589 MB; 38.88-38.98 s, 1,565-1,573 MB; at ab2c3d3,
                   34.37 s (32.65-39.09), 1,549-1,565 MB
    apply-100k     25,502 records/s (25,296-25,588), CPU reconciler 4.22 s, emulator 4.02 s; 23,152 in the
                   second run; intake 25,659 and 24,361 records/s (emulator CPU 3.59 and 3.83 s)
    members-5m     14.05 s (12.06-14.34), 1,477-1,481 MB

The 30,000 records/s target was reached in single runs (best 31,237) but not as a median on this shared
machine. Before b7635d3 one 1,000-row insert cost about 21 us of CPU a record, 11 of them the cn_record_docs
trigger (json_object of the standard fields ~4, the custom-field subquery ~5), against ~5 us to parse the body
and ~5 to check and lay out the rows in Python. Now the handler writes the docs itself (the trigger stands aside
for it only: store.deferred_docs) and inserts only the columns it writes: in-process, one 1,000-row create costs
~16-17 us a record (min of 100; it was ~24-25): by a py-spy profile ~7-8 of them SQLite's insert of the
records, ~1.5 the docs' insert, ~2 the commit (WAL), ~6 Python laying out the row and its doc; the body's parse
stays ~3.5.

Measured in a later session (issue #15), medians of 3, three runs: A at 0657399 (21:12, the whole set), B and C
at 9a20001 (21:33 formats-1m alone, 21:39 the whole set; 9a20001 checks quoted CSV fields with numpy). The host
slowed by about half between A and C: the same emulator intake took 2.66 s of CPU in A and 4.21 s in C, and
members-5m, unchanged, 11.28 s and 16.65 s.

    formats-1m     run A                        run B                        run C
    plain CSV      7.13 s, floors 2.99/3.13 s   7.71 s, floors 2.88/2.97 s   7.96 s, floors 2.92/3.15 s
                   2.39x / 2.28x floor          2.68x / 2.60x                2.72x / 2.53x
    quoted CSV     1.31x plain CSV              0.99x                        1.09x
    gzip CSV       1.33x                        1.07x                        1.11x
    JSONL          1.37x                        1.26x                        1.51x
    gzip JSONL     1.37x                        1.43x                        1.43x
    peaks          510-591 MB                   526-607 MB                   520-619 MB
    plan-5m        A: 31.47 s (29.94-31.74), 1,525-1,570 MB; C: 36.15 s (33.20-37.65), 1,531-1,592 MB
    apply-100k     A: 35,408 records/s (29,228-36,732), CPU reconciler 2.91 s, emulator 2.87 s, intake 34,190;
                   C: 24,069 (23,185-25,719), CPU 4.12 s / 4.29 s, intake 21,880; batch sizes [1000], and the plan
                   after each apply: no changes
    members-5m     A: 11.28 s (11.00-11.32), 1,479-1,495 MB; C: 16.65 s (16.39-16.68), 1,472-1,489 MB
    --version      A: 0.09-0.10 s; C: 0.11-0.17 s

Runs D (at f577b90, 23:21-23:30) and E (at 02caef4, the same code, 23:40-23:49), the session after: the
emulator joins a dataset read's docs in SQLite (group_concat from the last id sent), and a command no longer
imports httpx's command-line client or loads the CA bundle for a plain-http session.

    formats-1m     run D                                run E
    plain CSV      8.18 s, floors 3.13 / 3.23 s         7.71 s, floors 3.03 / 3.63 s
                   2.62x / 2.54x floor                  2.55x / 2.12x floor
    quoted CSV     0.93x plain CSV                      0.99x
    gzip CSV       0.92x                                1.01x
    JSONL          1.18x                                1.23x
    gzip JSONL     1.25x                                1.19x
    peaks          550-590 MB                           539-595 MB
    plan-5m        D: 32.68 s (28.87-33.49), 1,532-1,605 MB; E: 33.52 s (33.29-35.13), 1,581-1,597 MB
    apply-100k     D: 31,007 records/s (28,870-35,951), CPU reconciler 3.13 s, emulator 3.24 s, intake 29,384;
                   E: 28,165 (22,322-29,125), CPU 3.47 s / 3.56 s, intake 25,456; batch sizes [1000], and the
                   plan after each apply: no changes
    members-5m     D: 15.54 s (15.02-16.16), 1,464-1,473 MB; E: 13.91 s (13.86-15.05), 1,461-1,476 MB
    --version      D: 0.10-0.12 s; E: 0.10-0.13 s

Then records.json was joined by SQLite between primary-key bounds too (ad3a0d0). members-5m at ad3a0d0, 00:05:
15.03 s (14.67-15.10), 1,472-1,476 MB; in 4 rounds alternating with the revision before it, 17.28 -> 15.81 s
(emulator CPU 8.10 -> 5.05 s).

Runs F (at bd26afc, 01:23-01:35) and G (the same code, 01:42-01:54), the session after: apply's updates take
their rows from the plan's frame, and a command's exit no longer walks what it made. The host was slower than in
D and E: the same floors took 3.3-4.5 s, against 3.0-3.6 s.

    formats-1m     run F                                run G
    plain CSV      8.46 s, floors 3.27 / 3.64 s         9.27 s, floors 3.59 / 4.21 s
                   2.59x / 2.32x floor                  2.58x / 2.20x floor
    quoted CSV     0.99x plain CSV                      1.06x
    gzip CSV       1.02x                                1.08x
    JSONL          1.37x                                1.29x
    gzip JSONL     1.41x                                1.34x
    peaks          515-581 MB                           522-610 MB
    plan-5m        F: 39.97 s (39.47-41.15), 1,511-1,569 MB; G: 37.73 s (34.88-38.30), 1,556-1,585 MB
    apply-100k     F: 20,110 records/s (19,342-20,115), CPU reconciler 4.12 s, emulator 4.45 s, intake 22,986;
                   G: 22,475 (22,178-23,602), CPU 3.78 s / 4.33 s, intake 21,946; batch sizes [1000], and the
                   plan after each apply: no changes
    members-5m     F: 17.03 s (16.87-17.33), 1,462-1,472 MB; G: 15.05 s (14.55-16.54), 1,448-1,481 MB
    --version      F: 0.14-0.17 s; G: 0.12-0.14 s

apply-updates at bd26afc (01:57, `--repeat 3`): apply 22.80 s (21.82-23.06), of which the update phase 0.61 s
(0.57-0.79 s); the rest is the plan before the writes and the one that verifies them (7.7-8.9 s each), and the
source read again in columns for the first create. Before a9d4c3c the updates read the source again row by row:
the same apply took 47.7-56.8 s (4 rounds alternating with a9d4c3c, which took 20.9-27.9 s).

Runs H (at cd6710d, the plan code of F and G, 02:39-02:50) and J (at 98effc6, 03:19-03:30), the session after:
98effc6 reads a JSON Lines piece whose every line has its first line's shape whole, with polars' JSON Lines
reader (5.1 -> 3.8 CPU-s for the 1M-row records.jsonl; 4 rounds alternating, a 1M JSONL plan 13.05 -> 11.53 s).
A run at 03:04 (I) is left out: the host was loaded from outside (intake 15,097 records/s, apply 11,796).

    formats-1m     run H                                run J
    plain CSV      8.31 s, floors 3.30 / 3.69 s         8.30 s, floors 3.12 / 3.67 s
                   2.52x / 2.25x floor                  2.66x / 2.26x floor
    quoted CSV     1.05x plain CSV                      1.06x
    gzip CSV       1.08x                                1.03x
    JSONL          1.39x                                1.38x (runs 10.10-12.32 s)
    gzip JSONL     1.36x                                1.26x
    peaks          539-587 MB                           514-648 MB
    plan-5m        H: 35.79 s (35.58-35.98), 1,557-1,603 MB; J: 35.61 s (34.46-35.70), 1,562-1,577 MB
    apply-100k     H: 24,912 records/s (23,446-26,276), CPU reconciler 3.47 s, emulator 3.95 s, intake 25,438;
                   J: 26,945 (25,028-29,008), CPU 3.27 s / 3.66 s, intake 24,590; batch sizes [1000], and the
                   plan after each apply: no changes
    members-5m     H: 16.71 s (16.14-19.36), 1,461-1,475 MB; J: 14.14 s (12.90-14.58), 1,458-1,477 MB
    --version      H: 0.13-0.16 s; J: 0.09-0.14 s

JSONL against plain CSV, 6 rounds alternating on one emulator at 98effc6 (03:31): median 9.40 against 6.96 s,
1.35x. A JSONL plan's source read takes about 2.4 s on its own against 0.65 s for plain CSV; the rest of the plan
costs the same. Of the source read's 4.1 CPU-s, polars' JSON Lines reader takes 2.0 and the shape check 1.2-1.5
(a lazy DFA over every byte, about 4 ns a byte whatever the pattern: a simpler string class or the first line's
own spacing made it no cheaper).

Runs K (04:41-04:51), L (05:27-05:37, at 44ba8bd) and M (05:52-06:03, at 7b3309a), the session after. K ran the
plans at af1d33b and its emulator with the module split of 1f5b79a (a move of code, no change in behaviour). The
emulator keeps only cn_records' dataset index and never syncs its file (07beda1) and lays out a batch of one shape
a column at a time (270ff89); seeding removes the database file first (af1d33b: apply-100k and intake-100k had
been adding to files kept from earlier runs, 1.4-1.9 GB, so the figures above them ran against larger files); a
source under 192 MiB keeps its columns for pass 3 instead of packing them (7b3309a, in M only). The host slowed
from K to M: the same floors took 3.24/3.70 s in K, 3.01/3.45 s in L and 3.41/3.82 s in M.

    formats-1m     run K                            run L                            run M
    plain CSV      8.35 s, floors 3.24 / 3.70 s     8.33 s, floors 3.01 / 3.45 s     8.21 s, floors 3.41 / 3.82 s
                   2.58x / 2.26x floor              2.76x / 2.41x floor              2.41x / 2.15x floor
    quoted CSV     1.04x plain CSV                  0.99x                            1.00x
    gzip CSV       1.08x                            0.97x                            1.09x
    JSONL          1.14x                            1.23x                            1.31x
    gzip JSONL     1.28x                            1.23x                            1.32x
    peaks          523-641 MB                       526-655 MB                       547-651 MB
    plan-5m        K: 31.20 s (29.83-34.88), 1,533-1,583 MB; L: 37.40 s (35.86-37.87), 1,541-1,625 MB;
                   M: 39.44 s (38.52-41.09), 1,538-1,586 MB
    apply-100k     K: 39,625 records/s (38,764-53,293), CPU reconciler 3.61 s, emulator 2.68 s, intake 36,734;
                   L: 34,650 (34,551-34,912), CPU 4.04 s / 3.10 s, intake 35,522;
                   M: 32,690 (31,916-37,338), CPU 3.93 s / 3.22 s, intake 35,220; batch sizes [1000], and the plan
                   after each apply: no changes
    members-5m     K: 15.65 s (14.84-17.05), 1,466-1,467 MB; L: 15.60 s (14.65-15.66), 1,459-1,485 MB;
                   M: 15.34 s (14.89-16.45), 1,447-1,480 MB
    --version      K: 0.12-0.16 s; L: 0.14 s; M: 0.09-0.10 s

In alternating runs on fresh databases: 07beda1 took intake from 21,222 to 28,190 records/s and apply-100k's create
phase from 24,961 to 29,346 (4 rounds each); 270ff89 took them from 37,051 to 41,060 and from 32,740 to 37,972 (4
rounds, a faster hour); 7b3309a took a 1M plain plan from 8.31 to 7.40 s (8 rounds; peak 567 -> 566 MB) and a 1M
JSONL plan from 10.91 to 10.06 s (4 rounds), which saves both formats about the same time, so the JSONL ratio to
plain CSV rose (1.28x in 6 alternating rounds just before it). Live pieces of 16 MB instead of 8 (3 read ahead
instead of 6): 1M plain 8.56 -> 8.00 s over 10 rounds, but 5M peaks 1,571 -> 1,635 MB (the JSON reader's buffers
grow with the piece), so not kept.

Runs A (09:08, at 900495a: live pieces read with their quotes as separators), B (09:30, at 1a25587: JSON Lines
sources read so too) and C (09:53, at be310da: live pages of 24 MB), a later session on a faster host; the floors
(fields / rows) took 1.64-1.97 / 1.84-2.23 s. Medians of 3:

    formats-1m     run A                            run B                            run C
    plain CSV      4.30 s, floors 1.65 / 1.84 s     4.91 s, floors 1.73 / 1.96 s     4.23 s, floors 1.69 / 1.92 s
                   2.61x / 2.33x floor              2.84x / 2.50x floor              2.50x / 2.20x floor
    quoted CSV     1.02x plain CSV                  1.00x                            0.98x
    gzip CSV       1.04x                            1.02x                            1.02x
    JSONL          1.27x                            1.24x                            1.23x
    gzip JSONL     1.34x                            1.26x                            1.28x
    peaks          540-644 MB                       532-556 MB                       596-639 MB
    plan-5m        at 1a25587: 24.89 s (24.47-26.64), 744-762 MB; at be310da: 23.56 s (23.45-25.05), 766-767 MB
    members-5m     at be310da: 9.64 s (9.38-10.29), 1,466-1,480 MB
    apply-100k     at be310da: create phase 69,229 records/s (68,907-70,989), batch sizes [1000], the plan after
                   each apply: no changes; intake 75,996 records/s
    --version      0.06-0.07 s

Run A put JSONL sources over 1.3x: plain CSV had become faster, JSONL not; run B read them between their quotes
too. Tried and not kept, 1M plain CSV in alternating runs: the emulator serving each read from memory (0.53
against 1.1 CPU-s a read) took 0.1 s off the plan; a thread receiving the body ahead of the decoding, and the
diff's per-page matching on a thread of its own, nothing; source pieces of 8 or 16 MB, nothing (16 MB: +70 MB);
pass-1 chunks of 200,000 or 400,000 rows, 0.1 s (4.30 against 4.39 s).

Each --json-style, one run each (`--only formats-1m --json-style compact --json-style spaced --json-style pretty
--json-style php`), at e5700bc (10:08) and at ab9c114 (10:19, pretty-printed pieces read between their quotes too);
plain CSV, and the other formats against it:

    style      e5700bc                              ab9c114
    compact    4.40 s, 2.28x floor; 1.00-1.23x      4.32 s, 2.25x floor; 1.00-1.31x
    spaced     5.31 s; 1.06-1.25x                   5.34 s; 1.04-1.29x
    pretty     9.84 s; 0.99-1.10x                   9.16 s; 1.00-1.15x
    php        6.56 s; 0.97-1.20x                   6.69 s; 1.01-1.16x
    peaks      583-655 MB                           590-649 MB

The other styles cost the emulator a restyling pass (jsonstyle.py), which bounds those plans: fetching and decoding the
pretty body alone took 6.7-7.0 s.

Runs N (11:05, at d21c18f: a CSV piece's commas counted over the piece; jemalloc keeping freed pages 10 s, one BLAS
thread), P (11:12, three piece parsers and one backslash search, uncommitted then) and Q (11:20, at 4ccb9bc: those,
and one copy a source piece), the next session; the floors (fields / rows) took 1.68-2.01 / 1.90-2.24 s. Medians of
3:

    formats-1m     run N                            run P                            run Q
    plain CSV      3.85 s, floors 1.75 / 1.95 s     3.90 s, floors 1.70 / 1.90 s     4.02 s, floors 1.73 / 1.97 s
                   2.19x / 1.97x floor              2.29x / 2.05x floor              2.32x / 2.04x floor
    quoted CSV     1.09x plain CSV                  1.05x                            1.01x
    gzip CSV       1.10x                            1.05x                            1.03x
    JSONL          1.33x                            1.27x                            1.25x
    gzip JSONL     1.34x                            1.30x                            1.28x
    peaks          623-703 MB                       656-749 MB                       633-754 MB
    plan-5m        with d21c18f's settings, two runs each: 21.50-21.79 s and 930-934 MB (jemalloc at 100 ms:
                   22.52-23.22 s and 759-762 MB)

Runs R (11:42, at 4640092, Q's code) and S (11:51, at 7081fa7: jemalloc keeping freed pages 1 s, not 10); floors
1.62-1.98 / 1.80-2.30 s:

    formats-1m     run R                            run S
    plain CSV      3.71 s, floors 1.65 / 1.88 s     3.98 s, floors 1.73 / 1.91 s
                   2.24x / 1.97x floor              2.30x / 2.08x floor
    quoted CSV     1.05x plain CSV                  0.99x
    gzip CSV       1.06x                            1.03x
    JSONL          1.29x                            1.27x
    gzip JSONL     1.29x                            1.26x
    peaks          641-763 MB                       625-665 MB
    plan-5m        (3 runs) at 10 s: 20.55 s (19.81-28.05), 839-986 MB; at 1 s: 21.90 s (20.75-22.79), 807-814 MB
    members-5m     (3 runs) at 10 s: 9.56 s (9.35-10.89), 1,608-1,624 MB; at 1 s: 8.67 s (8.63-9.03), 1,507-1,517 MB
    apply-100k     at 4640092: create phase 68,801 records/s, batch sizes [1000], the plan after: no changes

Runs T (12:06, at 22f7ec2, S's code), U (12:18, at d4c8bc9: a JSON Lines piece read without a copy or an index of
its line ends; a CSV piece not decoded to prove it UTF-8) and V (12:25, at 5fc313f: 10 live pages read ahead, not 2),
a slower hour (plain CSV at 3.71 s in run R took 4.03-4.15 s here, its floors 1.88 against 1.94-1.99 s); floors
1.64-2.09 / 1.86-2.38 s:

    formats-1m     run T                            run U                            run V
    plain CSV      4.05 s, floors 1.75 / 1.94 s     4.15 s, floors 1.76 / 1.99 s     4.03 s, floors 1.75 / 1.98 s
                   2.31x / 2.09x floor              2.36x / 2.09x floor              2.30x / 2.04x floor
    quoted CSV     1.00x plain CSV                  1.01x                            1.00x
    gzip CSV       1.04x                            1.02x                            1.07x
    JSONL          1.27x                            1.22x                            1.25x
    gzip JSONL     1.26x                            1.25x                            1.29x
    peaks          616-682 MB                       615-643 MB                       694-719 MB
    plan-5m        at 5fc313f (3 runs): 21.57 s (21.22-28.46, the first after seeding members), 894-900 MB
    members-5m     at 5fc313f (3 runs): 10.05 s (9.45-10.71), 1,492-1,501 MB
    apply-100k     at 5fc313f (3 runs): create phase 69,129 records/s (68,009-72,250), batch sizes [1000], the plan
                   after each apply: no changes

Plain CSV's own runs spread 3.61-4.14 s within run S, so a median of 3 moves by 0.1-0.2 s from run to run. Both
limits bind at once: at about 4.8-5.0 s for JSON Lines, 1.3x puts plain CSV at 3.7-3.85 s or slower, and 2x the
floor at 3.8 s or faster. The plan is bound by CPU on two cores (about 4.8 s of the plan's and 1.1 s of the
emulator's for 3.7 s, 80-85% of both cores), so a saving in the live read (the same for every format) helps plain
CSV to 2x but moves JSON Lines towards 1.3x; only savings in reading JSON Lines sources widen both.

Run N met 2x on the rows as fetched but put JSON Lines over 1.3x (plain CSV had become faster, JSONL not); P and Q
brought JSONL back under, with plain CSV at 2.04-2.05x. Tried and not kept: a thread receiving the live body ahead
of the decoding (the emulator then works while a page decodes, but the decode slows from about 45 to 75 ms a page:
the live phase is bound by the CPU of the emulator, the decoding and the diff together, about 150 ms a 24 MB page on
two cores); reading 256 KB or 1 MB at a time from the socket (more CPU in h11); the emulator's SQLite file mapped
(no change); 8 live pages ahead (0.1 s, +60 MB); polars' transparent huge pages (POLARS_THP=1: slower).

The session after, a slower machine (the floors took 1.95-2.65 / 2.17-2.97 s, against 1.64-2.09 / 1.86-2.38 s in
runs T-V): run W (12:47, at 439b1d8, V's code and its baseline), X (at 09f2467: a JSON Lines piece's shape pattern
refuses unsafe characters in its wanted values, no fill_null copies, line ends counted once), Y (13:23, at 1773157:
normalize's character classes built in 5 ms, not 50), Z (13:33, at fffce23: gzip inflated by ISA-L) and Z2 (13:45,
Z's code). Medians of 3, ratios to the floor on the managed fields / on the rows as fetched:

    formats-1m   run W              run X              run Y              run Z              run Z2
    plain CSV    4.36 s             4.61 s             4.44 s             4.69 s             4.63 s
      floors     1.95 / 2.17 s      2.16 / 2.46 s      2.11 / 2.38 s      2.13 / 2.44 s      2.01 / 2.32 s
      ratio      2.24x / 2.01x      2.13x / 1.87x      2.10x / 1.87x      2.20x / 1.92x      2.30x / 1.99x
    quoted CSV   1.06x plain CSV    0.99x              1.07x              1.02x              0.98x
    gzip CSV     1.05x              1.01x              1.10x              1.06x              0.96x
    JSONL        1.29x              1.17x              1.22x              1.27x              1.15x
    gzip JSONL   1.30x              1.20x              1.27x              1.21x              1.12x
    peaks        697-731 MB         696-723 MB         691-720 MB         692-721 MB         695-714 MB
    plan-5m      at fffce23 (3 runs): 25.50 s (23.30-34.53, the first with its files out of the page cache), 896-910 MB
    members-5m   at fffce23 (3 runs): 11.22 s (10.66-12.17), 1,482-1,510 MB
    apply-100k   at fffce23 (3 runs): create phase 57,570 records/s (56,146-58,920), batch sizes [1000], the plan
                 after each apply: no changes

Runs Z3 (13:50, Z's code) and Z4 (14:00, at d8ed8ad, whose change, packing a large source's pieces on a thread of
their own, does not run for these sources: Z's code), the latter in a faster hour (floors 1.73-2.05 / 2.01-2.31 s, as
in runs N-V):

    formats-1m   run Z3             run Z4
    plain CSV    4.45 s             3.83 s
      floors     2.00 / 2.25 s      1.74 / 2.01 s
      ratio      2.23x / 1.97x      2.21x / 1.91x
    quoted CSV   0.96x plain CSV    1.03x
    gzip CSV     1.01x              1.02x
    JSONL        1.19x              1.24x
    gzip JSONL   1.14x              1.17x
    peaks        683-718 MB         693-713 MB
    plan-5m      at d8ed8ad (3 runs): 20.98 s (20.48-26.98), 881-927 MB; its packing thread (since reverted)
                 against fffce23, 3 rounds alternating: 23.18-24.14 against 23.47-24.16 s
    members-5m   at d8ed8ad (3 runs): 10.17 s (10.14-10.85), 1,486-1,497 MB
    apply-100k   at d8ed8ad (3 runs): create phase 62,956 records/s (62,874-63,447), batch sizes [1000], the plan
                 after each apply: no changes

Runs Z5 (14:10, at 6607483, Z's code for every format) and Z6 (14:25, at fa0b55f, the same code):

    formats-1m   run Z5                               run Z6
    plain CSV    4.13 s (plans 3.84, 4.13, 4.14 s)    4.18 s (plans 3.88, 4.18, 4.20 s)
      floors     1.83 / 1.99 s                        1.84 / 2.01 s
      ratio      2.26x / 2.08x                        2.28x / 2.09x
    quoted CSV   0.98x plain CSV                      0.97x
    gzip CSV     0.96x                                1.00x
    JSONL        1.15x                                1.19x
    gzip JSONL   1.18x                                1.15x
    peaks        700-737 MB                           691-718 MB

Within one run plain CSV's plans spread 3.76-4.26 s (Z4) against floors of 2.00-2.03 s, so the median of 3 lands on
either side of 2x the floor from one run to the next: in runs X-Z6, 1.87-2.09x (2x or under in six of eight).

The JSON Lines changes took 0.84-1.03 s of CPU from a 1M-row JSON Lines plan and 0.05-0.40 s from plain CSV's
(alternating runs, paired); ISA-L 0.12-0.64 s from gzip JSON Lines and 0.15-0.38 s from gzip CSV. The second plan of
a pair can run faster for its place alone: d8ed8ad's rounds ran the same code for 1M plain-CSV plans and the second
was 0.02-0.15 s faster in each of 8 (d8ed8ad was reverted); a difference under about 0.15 s in such rounds is not
one. A JSON Lines piece's shape pattern costs what its length costs: polars' regular expressions ran at 440-465 MB/s
here for any pattern, from a line of any characters to the full shape, ASCII text or not (0.85 s of CPU per 340 MB),
so refusing unsafe characters in it is free, and the pattern itself cannot be made cheaper.

Tried and not kept (alternating runs of 1M-row plans unless said):
- each piece's line ends counted by its parser, its LINE moved afterwards (the reading thread counted them as it
  read): plain CSV 4.60-4.89 against 4.56-5.03 s, JSON Lines 5.65-5.91 against 5.48-5.71 s;
- pass 1 comparing only the rows normalisation touched, from masks computed once: 0.67-0.70 against 0.59-0.61 s
  of CPU per 1M rows (polars' when/then with the pattern inline is cheaper);
- pydantic's defer_build on every manifest model: import time within the noise (about 0.39 s either way);
- 20 or 30 live pages ahead, not 10: 4.35-4.67 against 4.54-4.64 s, and 4.60-4.89 against 4.62-4.84 s;
- the emulator on uvicorn with httptools and uvloop: its CPU 1.36-1.46 against 1.44-1.52 s per read, plans within
  the noise;
- source pieces of 8 MB, not 4: 4.01-4.21 against 4.05-4.27 s; live pages of 48 MB (5 ahead), not 24 (10 ahead):
  4.50-4.62 against 4.21-4.28 s, and 743-765 against 680-690 MiB;
- a JSON Lines piece's structure checked by reading every field, the keys and separators as Enum columns, in
  place of the shape pattern: 1.31 against 1.49 s of CPU per 340 MB, before the checks a number or a spacing would
  still need.

The session after, runs Z7 (15:19), Z8 (15:25), Z9 (15:31), Z10 (15:42) and Z11 (15:55), all at 9906577 (a records
read sends its request before polars is imported, so the service prepares its answer meanwhile; a CSV piece whose
bytes hold no unsafe character's encoding skips the scan of its columns, 0.79-0.89 against 0.98-1.04 s of CPU for
the 1M-row check). Medians of 3, ratios to the floor on the managed fields / on the rows as fetched:

    formats-1m   run Z7             run Z8             run Z9             run Z10            run Z11
    plain CSV    4.09 s             4.01 s             4.27 s             4.26 s             4.35 s
      plans      4.06-4.28 s        3.95-4.06 s        4.17-4.30 s        4.13-4.27 s        4.02-4.39 s
      floors     1.93 / 2.22 s      1.85 / 2.08 s      1.94 / 2.24 s      1.82 / 2.11 s      1.91 / 2.17 s
      ratio      2.12x / 1.84x      2.17x / 1.93x      2.20x / 1.91x      2.34x / 2.02x      2.28x / 2.01x
    quoted CSV   1.06x plain CSV    1.06x              1.00x              1.00x              0.96x
    gzip CSV     1.08x              1.07x              1.08x              0.96x              0.99x
    JSONL        1.25x              1.25x              1.21x              1.16x              1.15x
    gzip JSONL   1.23x              1.19x              1.19x              1.19x              1.13x
    peaks        685-728 MB         692-724 MB         682-728 MB         679-730 MB         687-730 MB
    plan-5m      (3 runs): 22.61 s (22.47-31.75, the first with its files out of the page cache), 902-912 MB
    members-5m   (3 runs): 10.59 s (10.12-11.29), 1,487-1,524 MB
    apply-100k   (3 runs): create phase 64,554 records/s (62,960-65,711), batch sizes [1000], the plan after each
                 apply: no changes

Where a plain-CSV plan's time goes (1M rows, timed inside the plan): start-up to the first request 0.40 s on one
core; the source check 0.37-1.46 s, beside the live read; pass 1 1.46-2.23 s (0.44 s alone: the live pages decode
beside it); the diff 2.23-3.98 s, as the live pages come; 3.99 s in all. The two cores are idle about 1.4 of 8.2
core-seconds: 0.4 at the start, about 0.45 in the diff's phase, where the emulator, the live page's decoding and the
diff hand pages along (the main and the live-records threads wait for the GIL about a tenth of their time).

Tried and not kept in that session (alternating runs, ABBA order, unless said):
- pass 1 two chunks at a time (the live pages wait for it): 4.20-4.48 against 4.08-4.30 s;
- the emulator's readers kept between reads, with the file mapped (emulator CPU 1.20-1.30 against 1.07-1.14 s a read)
  or with a 1 GB page cache (1.15-1.20 s); 4,000 docs a query, not 1,000 (1.03-1.14 s, within the noise); 64 KiB
  SQLite pages (0.92-0.98 against 1.02-1.13 s after the same VACUUM, but a scattered update writes sixteen times the
  WAL);
- a live piece's `[` and backslash found with numpy, which lets go of the GIL: 75.5 against 60.7 ms of CPU a 25 MB
  page; live pieces of 3-12 MB, not 25: no faster (60.1-72.1 ms a 25 MB page);
- each source value's edges and date start read as bytes (polars' bin.get) in place of one pattern: 0.234 against
  0.259 s of CPU per 12M values; the longest value counted in characters only where its bytes could be the longest:
  0.10 against 0.125 s;
- finding every quote of a live page with numpy: 30 ms of a 25 MB page for that alone (polars' whole read: 44 ms);
- the emulator keeping each dataset's docs again a page of 1,024 ids at a time (one value a page, marked stale by a
  trigger on every doc written, rebuilt before a read of the whole dataset): 3.96-4.32 against 4.20-4.50 s, emulator
  CPU 1.06-1.16 against 1.40-1.48 s a plan, but the first read after the pages went stale took 25 s longer for 5M
  records (48.13 against 23.71-24.05 s: each page written twice through the WAL, about 5 s per 1M records), and an
  apply or a day of the dialler's changes touches pages all over a dataset, so a plan after one would pay that to
  save 0.2 s; creates 57,607 against 60,417 records/s. Not kept.

The session after, runs Z12 (17:24), Z13 (17:29), Z14 (17:31), Z15 (17:42) and Z16 (17:45), all at 2d00c4f (a
compact records piece read a pair to a field, commas separating fields and the quote quoting them: 42-43 against
57-58 ms of CPU a 25 MB page). In that session's alternating runs, the code before it planned 1M plain-CSV rows in
3.86-4.08 s (this machine was faster than the session before's, whose runs gave 3.95-4.39 s), and 2d00c4f in
3.86-3.98 s, with 0.2 s less of the client's CPU:

    formats-1m   run Z12            run Z13            run Z14            run Z15            run Z16
    plain CSV    3.71 s             3.78 s             3.87 s             3.85 s             3.88 s
      plans      3.69-3.82 s        3.75-3.86 s        3.65-3.92 s        3.67-4.06 s        3.80-3.91 s
      floors     1.83 / 2.13 s      1.88 / 2.15 s      1.84 / 2.10 s      1.88 / 2.11 s      1.93 / 2.12 s
      ratio      2.03x / 1.74x      2.01x / 1.76x      2.10x / 1.84x      2.05x / 1.83x      2.01x / 1.83x
    quoted CSV   1.07x plain CSV    1.06x              1.05x              1.03x              1.04x
    gzip CSV     1.06x              1.07x              1.04x              1.03x              1.02x
    JSONL        1.21x              1.24x              1.22x              1.22x              1.23x
    gzip JSONL   1.19x              1.25x              1.16x              1.19x              1.20x
    peaks        695-743 MB         694-742 MB         691-755 MB         697-742 MB         688-760 MB
    plan-5m      (3 runs): 21.96 s (21.47-30.84, the first with its files out of the page cache), 903-909 MB
    members-5m   (3 runs): 10.03 s (9.68-12.45), 1,480-1,501 MB
    apply-100k   (3 runs): create phase 62,520 records/s (60,647-62,652), batch sizes [1000], the plan after each
                 apply: no changes
    Z17 (18:09, at 4e188d2, the machine slower): plain CSV 4.03 s (4.01-4.05), floors 1.96 / 2.24 s, 2.05x /
                 1.80x; quoted CSV 1.03x, gzip CSV 1.02x, JSONL 1.23x, gzip JSONL 1.19x; peaks 697-752 MB
    php style    one run each, 2d00c4f against the code before it (--compare-with): plain CSV 6.59 against 6.42 s,
                 the formats 6.44-6.74 against 6.41-6.91 s. The emulator's restyling bounds those plans; a PHP piece
                 is read a pair to a field too (91-95 against 100-102 ms of CPU a page: its escapes cost the rest).

Where the time went before 2d00c4f (1M plain-CSV plan, timed inside it): the live pieces came every 80-85 ms in the
diff's phase, though one decoded in 35-50 ms: the live-records thread receives a piece, then decodes it, and the
emulator waits meanwhile once the socket's buffers fill. py-spy --gil found the GIL held 3.5 s in all (of a plan it
slowed): 1.8 s by the main thread (0.4 s of it the start-up's imports), 1.7 s by the live-records thread (httpx and h11
receiving, about 0.25 s of CPU above a bare socket's 0.07 s per 681 MB; each piece's copy, 4-5 ms, 12-22 ms when
its pages fault in; its `[` and backslash searches). polars' own threads ran 2.7-2.9 s of the plan's 5.3-5.6 s of
CPU, most of it the CSV reader splitting the live pieces, and the emulator 1.1-1.3 s.

Tried and not kept in that session:
- a thread reading the live body ahead of the decoding, 24 MB ahead (as a session before): 3.87-4.17 against
  3.81-4.00 s, 725-776 against 668-707 MiB;
- the pairs sliced out of `key:value` (str.slice, str.tail): the values then hold the read's buffers, 18 MB a page
  against 11 (peaks 780-805 MiB); shrink_to_fit gives the memory back but took the gain with it;
- a larger read from the socket (httpcore's 64 KB: 256 KB and 1 MB): 0.39-0.72 against 0.30-0.39 s of CPU per
  681 MB read (as a session before).

An experiment, not a design: the emulator answering a second read of the same records from memory took its CPU
from 1.45-1.56 to 0.66-0.70 s and the plan from 4.71-4.96 to 4.29-4.51 s. About 0.8 s of a plan's CPU is the
emulator's SQL (one row a record: 0.55-0.62 s for 1M docs read alone, against 0.26-0.29 s for the same bytes as
1,000 blobs). Blobs a page long would only serve reads of records that did not change since the last one, and a
nightly drift reads records the dialler changed all day, so they were not built.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import csv
import gzip
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from harness.process import EmulatorProcess  # noqa: E402

from reconciler.emulator import build_state  # noqa: E402
from reconciler.emulator.jsonstyle import STYLES  # noqa: E402
from reconciler.emulator.view import Member  # noqa: E402

FIELDS = (
    "VENDOR_URN",
    "Title",
    "FirstName",
    "LastName",
    "Address1",
    "Address2",
    "Address3",
    "Postcode",
    "HomePhone",
    "MobilePhone",
    "Customer_Email",
    "Testy",
)
"""The 12 managed text fields (the key first); the source also carries an integer `outcomecode` column."""
CAMPAIGN = 125
FIRST_CUSTOMER = 20_000_000
ENV = {"CN_USER": "demo", "CN_PASS": "demo-password", "CC_TENANT": "demo", "CC_TOKEN": "demo-token"}


# ---------------------------------------------------------------------------------------------- the data


def _values(i: int) -> list[str]:
    return [
        f"R{i:08d}",
        ("Mr", "Ms", "Dr", "")[i % 4],
        f"Zoë{i % 5000}" if i % 25 == 3 else f"First{i % 5000}",  # 4% non-ASCII, as UK and EU lists are
        f"Last{i % 7919}",
        f"{i % 300} High Street",
        "" if i % 3 else "Flat 2",
        f"Town{i % 1000}",
        f"SW{i % 20} {i % 9}AA",
        "" if i % 2 else f"0161{i % 10**7:07d}",
        f"07{i % 10**9:09d}",
        f"user{i}@example.com",
        f"value {i % 100}",
    ]


def _outcome(i: int) -> str:
    return ("", "100", "109")[i % 3]


def _added(i: int) -> bool:
    return i % 200 == 1


def _changed(i: int) -> bool:
    return i % 100 == 2


def desired_rows(n: int) -> Iterator[list[str]]:
    """The source of the mixed scenario: every row, some phones written with spaces (equal once normalised)."""
    for i in range(n):
        values = _values(i)
        if i % 10 == 5:
            phone = values[9]
            values[9] = f"{phone[:5]} {phone[5:8]} {phone[8:]}"
        yield [*values, _outcome(i)]


def live_rows(n: int) -> Iterator[list[str]]:
    """The live dataset: the source minus the added rows, 1% with a changed LastName, plus 0.5% absent rows."""
    for i in range(n):
        if _added(i):
            continue
        values = _values(i)
        if _changed(i):
            values[3] = "Changed"
        yield [*values, _outcome(i)]
    for j in range(n // 200):
        values = _values(n + j)
        values[0] = f"X{j:08d}"
        yield [*values, _outcome(j)]


def write_csv(path: Path, rows: Iterator[list[str]]) -> None:
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([*FIELDS, "outcomecode"])
        writer.writerows(rows)


def remove_database(db: Path) -> None:
    """Remove an emulator database file and its WAL and shared-memory files: the emulator opens a file that
    exists and keeps what it holds."""
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        path.unlink(missing_ok=True)


def seed_records(db: Path, rows: Iterator[list[str]]) -> int:
    """A new emulator database (default seed) plus one HOLD dataset of Willtest holding `rows`; its id. A file
    already at `db` is removed first (before, apply-100k and intake-100k kept adding to theirs: files of 1.4-1.9 GB
    after a few sessions' runs)."""
    remove_database(db)
    state = build_state(str(db))
    try:
        dataset = state.view.add_dataset("Willtest", "bench")
        records = (
            {
                **dict(zip(FIELDS[:-1], values, strict=False)),
                "Testy": values[11],
                "outcomecode": values[-1],
                "ProcessType": "HOLD: New Prospect",
                "loaddate": "2026-01-01",
            }
            for values in rows
        )
        state.view.add_records(dataset, records, created=time.time())
    finally:
        state.store.close()
    return dataset


def seed_members(db: Path, n: int) -> None:
    """A new emulator database with n desired customers: 0.5% not yet members, 0.5% members not desired."""
    remove_database(db)
    state = build_state(str(db))
    try:
        ids = range(FIRST_CUSTOMER, FIRST_CUSTOMER + n + n // 200)
        state.view.add_customers((i, f"0207946{i % 10_000:04d}") for i in ids)
        members = (Member(i, status=(0, 1, 2, 3)[i % 4]) for i in ids if not _added(i - FIRST_CUSTOMER))
        state.view.add_members(CAMPAIGN, members)
    finally:
        state.store.close()


def write_members_csv(path: Path, n: int) -> None:
    with path.open("w") as stream:
        stream.write("customer-id\n")
        for first in range(0, n, 100_000):
            stream.write("".join(f"{FIRST_CUSTOMER + i}\n" for i in range(first, min(first + 100_000, n))))


def write_project(root: Path, base_url: str, *, dataset: int | None, source: str) -> None:
    (root / "manifests").mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Project\ndefaultTarget: bench\nmanifests: [manifests]\n"
        "guards: {maxPercent: 100, minRows: 10}\ntargets:\n  bench:\n"
        f"    contactnow: {{baseUrl: '{base_url}/contactnow/', usernameEnv: CN_USER, passwordEnv: CN_PASS}}\n"
        f"    contactCenter: {{baseUrl: '{base_url}/cc', tenantEnv: CC_TENANT, tokenEnv: CC_TOKEN}}\n"
    )
    if dataset is None:
        (root / "manifests" / "members.yaml").write_text(
            "apiVersion: reconciler/v1\nkind: CampaignMembership\nmetadata: {name: bench}\n"
            f"spec: {{campaign: {CAMPAIGN}, source: {source}}}\n"
        )
        return
    (root / "manifests" / "records.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Dataset\nmetadata: {name: bench}\n"
        f"spec: {{campaign: Willtest, description: bench, id: {dataset}, status: HOLD}}\n---\n"
        "apiVersion: reconciler/v1\nkind: RecordSet\nmetadata: {name: bench}\n"
        f"spec: {{dataset: bench, fields: [{', '.join(FIELDS[1:])}], source: {source}}}\n"
    )


# ---------------------------------------------------------------------------------------------- formats

FORMATS = ("plain.csv", "quoted.csv", "gzip.csv.gz", "records.jsonl", "gzip.jsonl.gz")
"""The source formats of `formats-1m`: the same records, each file with an unmanaged `Notes` column that holds a
comma in every tenth row of the quoted CSV and the JSON Lines (a plain CSV cannot hold one)."""
NOTES = "Notes"


def _notes(i: int, comma: bool) -> str:
    return ("called, no answer" if comma else "called no answer") if i % 10 == 0 else ""


def write_source(path: Path, name: str, n: int) -> None:
    """The desired rows of plan-1m as `name` says (see FORMATS); a JSON outcome code is a number."""
    header = [*FIELDS, "outcomecode", NOTES]
    opener = gzip.open if name.endswith(".gz") else open
    comma = not name.startswith("plain")
    with opener(path, "wt", newline="", encoding="utf-8") as stream:
        rows = ([*values, _notes(i, comma)] for i, values in enumerate(desired_rows(n)))
        if ".csv" in name:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
            return
        for row in rows:
            record: dict[str, object] = dict(zip(header, row, strict=True))
            code = row[len(FIELDS)]
            record["outcomecode"] = int(code) if code else None
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_live(base_url: str, dataset: int | str) -> list[dict[str, Any]]:
    """Every live record of the dataset, in one ecnow_records read, as dicts (the naive way)."""
    with httpx.Client(timeout=600) as client:
        token = client.get(
            f"{base_url}/contactnow/token.php",
            params={"action": "get", "username": "demo", "password": "demo-password"},
        ).json()["token"]
        body = client.post(
            f"{base_url}/contactnow/ecnow.php",
            data={
                "method": "ecnow_records",
                "action": "read",
                "format": "json",
                "token": token,
                "dataset": str(dataset),
            },
        ).json()
    rows: list[dict[str, Any]] = body["list"]
    return rows


def fetch_live(base_url: str, dataset: int, path: Path) -> None:
    """The dataset's live records, fetched once (outside any timing), for the floors: as JSON Lines of the managed
    fields only (`path`), and of every field each row came with (`full_rows(path)`): the API has no way to ask
    for fewer fields, so a plan parses every field of every row, about twice the bytes of the managed ones."""
    with path.open("w", encoding="utf-8") as fields, full_rows(path).open("w", encoding="utf-8") as full:
        for row in read_live(base_url, dataset):
            fields.write(
                json.dumps({name: str(row.get(name, "")) for name in FIELDS}, ensure_ascii=False) + "\n"
            )
            full.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")


def full_rows(path: Path) -> Path:
    return path.with_name(f"{path.stem}-full{path.suffix}")


def floor(source: Path, live: Path) -> None:
    """The floor, run in its own process: DuckDB reads the source file and the fetched live rows, joins them
    (full outer join on the key) and counts creates, absent rows and changed rows (trimmed values compared)."""
    import duckdb

    started = time.perf_counter()
    text = ", ".join(f"{name!r}: 'VARCHAR'" for name in (*FIELDS, "outcomecode", NOTES))
    if ".csv" in source.name:
        read = f"read_csv('{source}', all_varchar = true, header = true)"
    else:
        read = f"read_json('{source}', format = 'newline_delimited', columns = {{{text}}})"
    live_columns = ", ".join(f"{name!r}: 'VARCHAR'" for name in FIELDS)
    values = " || '|' || ".join(f"coalesce(trim(\"{name}\"), '')" for name in FIELDS[1:])
    query = f"""
        WITH s AS (SELECT "VENDOR_URN" AS k, {values} AS v FROM {read}),
             l AS (SELECT "VENDOR_URN" AS k, {values} AS v
                   FROM read_json('{live}', format = 'newline_delimited', columns = {{{live_columns}}}))
        SELECT count(*) FILTER (WHERE l.k IS NULL), count(*) FILTER (WHERE s.k IS NULL),
               count(*) FILTER (WHERE s.k IS NOT NULL AND l.k IS NOT NULL AND s.v <> l.v)
        FROM s FULL OUTER JOIN l ON s.k = l.k
    """
    created, absent, changed = duckdb.connect().execute(query).fetchone() or (0, 0, 0)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"duckdb: {created} create, {changed} changed (spacing differences included), {absent} absent "
        f"in {elapsed:.1f} s, {peak:.0f} MB",
        file=sys.stderr,
    )


def seed_once(
    work: Path, label: str, rows: int, db: Path, sources: list[Path], write: Callable[[], None]
) -> int:
    """The seeded dataset's id: seeded (and the sources written) here, or by an earlier run into the same --keep
    directory, which a marker beside the database names (seeding 5,000,000 records takes minutes)."""
    started = time.perf_counter()
    marker = work / f"{label}-{rows}.dataset"
    if marker.exists() and db.exists() and all(path.exists() for path in sources):
        dataset = int(marker.read_text())
        print(f"{label}: {rows:,} rows seeded by an earlier run (dataset {dataset})", flush=True)
        return dataset
    marker.unlink(missing_ok=True)
    dataset = seed_records(db, live_rows(rows))
    write()
    marker.write_text(str(dataset))
    print(f"{label}: {rows:,} rows seeded and written in {time.perf_counter() - started:.0f} s", flush=True)
    return dataset


def median(values: list[float]) -> float:
    return statistics.median(values)


def format_runs(
    work: Path, rows: int, repeat: int, styles: tuple[str, ...], compare_with: Path | None = None
) -> None:
    """plan-1m from each source format under each JSON style, and the DuckDB floor on the same files beside it:
    medians of `repeat` runs, each plan's ratio to the floor and to plain CSV. With `compare_with` (a checkout of
    another revision), that revision's plan of each format runs once too, beside ours, under the first style."""
    root = work / "formats-project"
    db = work / "formats.sqlite3"
    manifests = root / "manifests"
    manifests.mkdir(parents=True, exist_ok=True)

    def write() -> None:
        for name in FORMATS:
            write_source(manifests / name, name, rows)

    dataset = seed_once(work, "formats", rows, db, [manifests / name for name in FORMATS], write)
    with EmulatorProcess(db=db, ready_seconds=60) as emulator:
        base_url = emulator.base_url
        live = work / "live.jsonl"
        # In a child process: the body read into dicts would otherwise raise this process's peak RSS, and every
        # process it starts inherits that peak (ru_maxrss survives fork and exec on Linux).
        fetch = [
            sys.executable,
            __file__,
            "--internal-fetch",
            str(live),
            "--base",
            base_url,
            "--dataset",
            str(dataset),
        ]
        subprocess.run(fetch, check=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
        ours: dict[tuple[str, str], list[Run]] = {}
        floors: dict[tuple[str, str], list[Run]] = {}
        for attempt in range(repeat):
            for name in FORMATS:
                for rows_read, fetched in (("fields", live), ("rows", full_rows(live))):
                    run = run_measured(
                        f"floor duckdb {name} {rows_read} #{attempt + 1}",
                        [
                            sys.executable,
                            __file__,
                            "--internal-floor",
                            str(manifests / name),
                            "--live",
                            str(fetched),
                        ],
                        base_url,
                    )
                    show(run, run.output.strip().splitlines()[-1] if run.output.strip() else "")
                    floors.setdefault((name, rows_read), []).append(run)
                write_project(root, base_url, dataset=dataset, source=name)
                for style in styles:
                    set_style(base_url, style)
                    run = measured_plan(
                        f"ours {name} {style} #{attempt + 1}", root, base_url, work / "formats"
                    )
                    ours.setdefault((name, style), []).append(run)
                    if compare_with is not None and attempt == 0 and style == styles[0]:
                        other = measured_plan(
                            f"other {name} {style}", root, base_url, work / "other", compare_with
                        )
                        print(
                            f"  => {name}: {other.wall:.2f} s at {compare_with}, {run.wall:.2f} s here",
                            flush=True,
                        )
        set_style(base_url, "compact")
    print(f"  medians of {repeat}; load average now {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for style in styles:
        plain = median([run.wall for run in ours[("plain.csv", style)]])
        for name in FORMATS:
            walls = [run.wall for run in ours[(name, style)]]
            peak = max(run.rss_mb for run in ours[(name, style)])
            fields = median([run.wall for run in floors[(name, "fields")]])
            rows_floor = median([run.wall for run in floors[(name, "rows")]])
            print(
                f"  => {name:<14} {style:<8} ours {median(walls):6.2f} s (peak {peak:5.0f} MB)"
                f"  floor {fields:5.2f} s on the managed fields, {rows_floor:5.2f} s on the rows as fetched;"
                f" ratio {median(walls) / fields:4.2f}x / {median(walls) / rows_floor:4.2f}x floor,"
                f" {median(walls) / plain:4.2f}x plain CSV",
                flush=True,
            )


# ------------------------------------------------------------------------------------------ processes


def log_entries(base_url: str, since: int) -> tuple[list[dict[str, Any]], int]:
    body = httpx.get(f"{base_url}/_emulator/log", params={"since": since}, timeout=60).json()
    return body["entries"], int(body["last_seq"])


@dataclass
class Run:
    label: str
    wall: float
    rss_mb: float
    requests: int
    exit_code: int
    output: str
    cpu: float = 0.0
    """User + system CPU seconds of the command's process (os.wait4)."""

    @property
    def rate(self) -> float:
        return self.requests / self.wall if self.wall else 0.0


def run_measured(
    label: str, args: list[str], base_url: str, *, stdout: Path | None = None, repo: Path = REPO
) -> Run:
    """Run a command in its own process (importing reconciler from `repo`); its wall time, its peak RSS (the
    VmHWM it reports as it exits when run as `reconciler(...)`, else ru_maxrss) and the requests it made."""
    _, since = log_entries(base_url, 0)
    env = {**os.environ, **ENV, "PYTHONPATH": str(repo)}
    out = stdout.open("wb") if stdout is not None else subprocess.DEVNULL
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=repo, env=env, stdout=out, stderr=subprocess.PIPE)
    assert process.stderr is not None
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if stdout is not None and not isinstance(out, int):
        out.close()
    entries, _ = log_entries(base_url, since)
    output = err.decode()
    peaks = [line.split()[1] for line in output.splitlines() if line.startswith(PEAK)]
    rss = int(peaks[-1]) / 1024 if peaks else usage.ru_maxrss / 1024
    return Run(
        label, wall, rss, len(entries), process.returncode, output[-2000:], usage.ru_utime + usage.ru_stime
    )


PEAK = "peak-rss-kb"
MEASURED = (
    "import atexit, sys\n"
    "def peak():\n"
    "    with open('/proc/self/status') as status:\n"
    "        found = [line.split()[1] for line in status if line.startswith('VmHWM:')]\n"
    f"    sys.stderr.write('{PEAK} ' + found[0] + '\\n')\n"
    "atexit.register(peak)\n"
    "from reconciler.cli import main\n"
    "main()\n"
)
"""The reconciler, reporting its own peak RSS (VmHWM) as it exits: ru_maxrss of a child counts this process's
resident set at the fork (Linux keeps the high-water mark across fork and exec), so it would count the data this
process made."""


def reconciler(*args: str) -> list[str]:
    return [sys.executable, "-c", MEASURED, *args]


def show(run: Run, note: str = "") -> None:
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"  {run.label:<34} {run.wall:7.2f} s  {run.rss_mb:7.0f} MB  {run.rate:8.1f} req/s"
        f"  exit {run.exit_code}  load {load}{'  ' + note if note else ''}",
        flush=True,
    )
    if run.exit_code not in (0, 2):
        print("    " + run.output.replace("\n", "\n    "))


def set_style(base_url: str, style: str) -> None:
    """Have the emulator write its JSON answers in `style` from now on."""
    answer = httpx.post(f"{base_url}/_emulator/settings", json={"json_style": style}, timeout=60)
    answer.raise_for_status()


def compare_styles(label: str, runs: dict[str, list[Run]]) -> None:
    """Each style's best wall time and peak RSS, and their ratio to compact's."""
    if len(runs) < 2 or "compact" not in runs:
        return
    wall = min(run.wall for run in runs["compact"])
    rss = min(run.rss_mb for run in runs["compact"])
    for style, done in runs.items():
        best_wall, best_rss = min(run.wall for run in done), min(run.rss_mb for run in done)
        print(
            f"  => {label} {style:<8} {best_wall:7.2f} s ({best_wall / wall:.2f}x compact)"
            f"  {best_rss:7.0f} MB ({best_rss / rss:.2f}x compact)"
        )


def best(runs: list[Run]) -> str:
    walls = sorted(run.wall for run in runs)
    rss = sorted(run.rss_mb for run in runs)
    if len(runs) == 1:
        return f"{walls[0]:.2f} s, {rss[0]:.0f} MB"
    return f"best {walls[0]:.2f} s (range {walls[0]:.2f}-{walls[-1]:.2f}), {rss[0]:.0f}-{rss[-1]:.0f} MB"


# ------------------------------------------------------------------------------------------- scenarios


def measured_plan(label: str, root: Path, base_url: str, stem: Path, repo: Path = REPO) -> Run:
    """`reconciler plan` of the project at `root` (the reconciler of `repo`), measured and shown with its
    counts; the plan in STEM.plan.json."""
    plan_file = stem.with_name(stem.name + ".plan.json")
    run = run_measured(
        label,
        reconciler("plan", str(root), "--format", "json", "--detailed-exitcode"),
        base_url,
        stdout=plan_file,
        repo=repo,
    )
    body = json.loads(plan_file.read_text()) if run.exit_code in (0, 2) else {}
    counts = [change.get("counts") for change in body.get("changes", [])]
    show(run, f"plan JSON {plan_file.stat().st_size / 1024:.0f} KiB, counts {counts}")
    return run


def plans_by_style(
    work: Path, label: str, root: Path, base_url: str, styles: tuple[str, ...], repeat: int
) -> dict[str, list[Run]]:
    """`reconciler plan` of the project at `root`, `repeat` times under each of the emulator's JSON `styles`."""
    by_style: dict[str, list[Run]] = {}
    for style in styles:
        set_style(base_url, style)
        named = label if styles == ("compact",) else f"{label} {style}"
        runs = by_style.setdefault(style, [])
        for attempt in range(repeat):
            runs.append(measured_plan(f"ours {named} #{attempt + 1}", root, base_url, work / label))
        print(f"  => ours {named}: {best(runs)}")
    return by_style


def plan_runs(
    work: Path,
    label: str,
    rows: int,
    *,
    noop: bool,
    repeat: int,
    baselines: tuple[str, ...] = (),
    styles: tuple[str, ...] = ("compact",),
) -> None:
    root = work / f"{label}-project"
    db = work / f"{label}.sqlite3"
    source = root / "manifests" / "records.csv"
    root.joinpath("manifests").mkdir(parents=True, exist_ok=True)
    dataset = seed_once(
        work,
        label,
        rows,
        db,
        [source],
        lambda: write_csv(source, live_rows(rows) if noop else desired_rows(rows)),
    )
    with EmulatorProcess(db=db, ready_seconds=60) as emulator:
        base_url = emulator.base_url
        write_project(root, base_url, dataset=dataset, source="records.csv")
        by_style = plans_by_style(work, label, root, base_url, styles, repeat)
        compare_styles(f"ours {label}", by_style)
        ours = by_style.get("compact") or next(iter(by_style.values()))
        set_style(base_url, "compact")
        for name in baselines:
            runs = [
                run_measured(
                    f"baseline {name} #{attempt + 1}",
                    [
                        sys.executable,
                        __file__,
                        "--internal-baseline",
                        name,
                        "--project",
                        str(root),
                        "--base",
                        base_url,
                    ],
                    base_url,
                )
                for attempt in range(repeat)
            ]
            for run in runs:
                show(run, run.output.strip().splitlines()[-1] if run.output.strip() else "")
            print(
                f"  => baseline {name}: {best(runs)}; ratio {min(r.wall for r in runs) / min(r.wall for r in ours):.1f}x "
                f"time, {min(r.rss_mb for r in runs) / min(r.rss_mb for r in ours):.1f}x memory"
            )


def members_runs(work: Path, members: int, repeat: int, styles: tuple[str, ...] = ("compact",)) -> None:
    root = work / "members-project"
    db = work / "members.sqlite3"
    root.joinpath("manifests").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    # A fresh file each time (seed_members): seeding over a kept one replaced its 5M customers one by one.
    seed_members(db, members)
    write_members_csv(root / "manifests" / "members.csv", members)
    print(f"members: {members:,} generated and seeded in {time.perf_counter() - started:.0f} s", flush=True)
    with EmulatorProcess(db=db, ready_seconds=60) as emulator:
        base_url = emulator.base_url
        write_project(root, base_url, dataset=None, source="members.csv")
        by_style = plans_by_style(work, "members", root, base_url, styles, repeat)
        compare_styles("ours members", by_style)


def process_cpu(pid: int) -> float:
    """User + system CPU seconds a running process has used so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def apply_runs(work: Path, rows: int, repeat: int) -> None:
    """`reconciler apply` of `rows` new records into an empty dataset, `repeat` times (a new emulator each
    time), then a plan that must find nothing to do. The create phase runs from the first create's arrival to
    the last one's (the emulator's request log); CPU is user + system seconds of the reconciler's process and of
    the emulator's during the apply."""
    rates: list[float] = []
    runs: list[Run] = []
    emulator_cpu: list[float] = []
    for attempt in range(repeat):
        root = work / f"apply-project-{attempt}"
        db = work / f"apply-{attempt}.sqlite3"
        root.joinpath("manifests").mkdir(parents=True, exist_ok=True)
        dataset = seed_records(db, iter(()))
        write_csv(root / "manifests" / "records.csv", desired_rows(rows))
        with EmulatorProcess(db=db, ready_seconds=60) as emulator:
            base_url = emulator.base_url
            write_project(root, base_url, dataset=dataset, source="records.csv")
            _, since = log_entries(base_url, 0)
            before = process_cpu(emulator.process.pid)
            run = run_measured(
                f"ours apply #{attempt + 1}", reconciler("apply", str(root), "--auto-approve"), base_url
            )
            emulator_cpu.append(process_cpu(emulator.process.pid) - before)
            entries, _ = log_entries(base_url, since)
            creates = [entry for entry in entries if entry["op"] == "ecnow_records.create"]
            sizes = sorted({entry["rows"] for entry in creates})
            span = creates[-1]["time"] - creates[0]["time"] if len(creates) > 1 else float("nan")
            stored = sum(entry["rows"] or 0 for entry in creates if entry["committed"])
            rates.append(stored / span)
            runs.append(run)
            show(
                run,
                f"{len(creates)} creates, batch sizes {sizes[-3:]}, {stored:,} rows stored; "
                f"create phase {span:.2f} s = {stored / span:,.0f} records/s; CPU: reconciler {run.cpu:.2f} s,"
                f" emulator {emulator_cpu[-1]:.2f} s",
            )
            noop = run_measured(
                f"ours plan after apply #{attempt + 1}",
                reconciler("plan", str(root), "--detailed-exitcode"),
                base_url,
            )
            show(noop, "no changes" if noop.exit_code == 0 else "CHANGES LEFT")
    print(
        f"  => apply-{rows // 1000}k median of {repeat}: create phase {statistics.median(rates):,.0f} records/s"
        f" (target 30,000), apply {statistics.median(run.wall for run in runs):.2f} s; CPU reconciler"
        f" {statistics.median(run.cpu for run in runs):.2f} s, emulator {statistics.median(emulator_cpu):.2f} s",
        flush=True,
    )


def apply_updates_runs(work: Path, rows: int, repeat: int) -> None:
    """`reconciler apply` of plan-1m's changes (a row in 100 updated, one in 200 created) into a fresh copy of its
    seeded database, `repeat` times (a new emulator each time), then a plan that must find nothing to do. The
    update phase runs from the first update's arrival to the last one's (the emulator's request log); CPU is user
    + system seconds of the reconciler's process and of the emulator's during the apply."""
    label = "plan-1m"
    root = work / f"{label}-project"
    db = work / f"{label}.sqlite3"
    source = root / "manifests" / "records.csv"
    root.joinpath("manifests").mkdir(parents=True, exist_ok=True)
    dataset = seed_once(work, label, rows, db, [source], lambda: write_csv(source, desired_rows(rows)))
    copy = work / "apply-updates.sqlite3"
    walls: list[float] = []
    phases: list[float] = []
    emulator_cpu: list[float] = []
    for attempt in range(repeat):
        remove_database(copy)
        with (
            contextlib.closing(sqlite3.connect(db)) as seeded,
            contextlib.closing(sqlite3.connect(copy)) as fresh,
        ):
            seeded.backup(fresh)
        with EmulatorProcess(db=copy, ready_seconds=60) as emulator:
            base_url = emulator.base_url
            write_project(root, base_url, dataset=dataset, source="records.csv")
            _, since = log_entries(base_url, 0)
            before = process_cpu(emulator.process.pid)
            run = run_measured(
                f"ours apply-updates #{attempt + 1}",
                reconciler("apply", str(root), "--auto-approve"),
                base_url,
            )
            emulator_cpu.append(process_cpu(emulator.process.pid) - before)
            entries, _ = log_entries(base_url, since)
            updates = [entry for entry in entries if entry["op"] == "ecnow_records.update"]
            creates = [entry for entry in entries if entry["op"] == "ecnow_records.create"]
            updated = sum(entry["rows"] or 0 for entry in updates if entry["committed"])
            created = sum(entry["rows"] or 0 for entry in creates if entry["committed"])
            span = updates[-1]["time"] - updates[0]["time"] if len(updates) > 1 else float("nan")
            walls.append(run.wall)
            phases.append(span)
            show(
                run,
                f"{updated:,} rows updated in {len(updates)} requests (update phase {span:.2f} s), {created:,}"
                f" created; CPU: reconciler {run.cpu:.2f} s, emulator {emulator_cpu[-1]:.2f} s",
            )
            noop = run_measured(
                f"ours plan after apply-updates #{attempt + 1}",
                reconciler("plan", str(root), "--detailed-exitcode"),
                base_url,
            )
            show(noop, "no changes" if noop.exit_code == 0 else "CHANGES LEFT")
    print(
        f"  => apply-updates median of {repeat}: apply {statistics.median(walls):.2f} s, update phase"
        f" {statistics.median(phases):.2f} s, emulator CPU {statistics.median(emulator_cpu):.2f} s",
        flush=True,
    )


def create_bodies(dataset: int, rows: int) -> Iterator[bytes]:
    """The create bodies the reconciler sends for apply-100k's rows: the dataset, the key and the managed fields
    of each, 1,000 rows a request."""
    batch: list[dict[str, str]] = []
    for values in desired_rows(rows):
        batch.append({"dataset": str(dataset), **dict(zip(FIELDS, values[: len(FIELDS)], strict=True))})
        if len(batch) == 1000:
            yield json.dumps(batch, ensure_ascii=False, separators=(",", ":")).encode()
            batch = []
    if batch:
        yield json.dumps(batch, ensure_ascii=False, separators=(",", ":")).encode()


def intake_runs(work: Path, rows: int, repeat: int) -> None:
    """The emulator alone: apply-100k's create bodies, encoded beforehand, posted one after another at a new
    emulator each time; records/s of the posts, and the emulator's CPU seconds."""
    rates: list[float] = []
    cpus: list[float] = []
    for attempt in range(repeat):
        db = work / f"intake-{attempt}.sqlite3"
        dataset = seed_records(db, iter(()))
        bodies = list(create_bodies(dataset, rows))
        with EmulatorProcess(db=db, ready_seconds=60) as emulator, httpx.Client(timeout=120) as client:
            base_url = emulator.base_url
            token = client.get(
                f"{base_url}/contactnow/token.php",
                params={"action": "get", "username": "demo", "password": "demo-password"},
            ).json()["token"]
            params = {
                "method": "ecnow_records",
                "action": "create",
                "format": "json",
                "raw": "1",
                "token": token,
            }
            before = process_cpu(emulator.process.pid)
            started = time.perf_counter()
            stored = 0
            for body in bodies:
                answer = client.post(
                    f"{base_url}/contactnow/ecnow.php",
                    params=params,
                    content=body,
                    headers={"Content-Type": "application/json"},
                ).json()
                stored += int(answer["total"])
            wall = time.perf_counter() - started
            cpus.append(process_cpu(emulator.process.pid) - before)
            rates.append(stored / wall)
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
        print(
            f"  emulator intake #{attempt + 1}: {stored:,} records in {len(bodies)} creates, {wall:.2f} s ="
            f" {rates[-1]:,.0f} records/s; emulator CPU {cpus[-1]:.2f} s  load {load}",
            flush=True,
        )
    print(
        f"  => intake-{rows // 1000}k median of {repeat}: {statistics.median(rates):,.0f} records/s,"
        f" emulator CPU {statistics.median(cpus):.2f} s",
        flush=True,
    )


# ------------------------------------------------------------------------------------------- baselines


def _normal(value: str) -> str:
    return value.strip()


def baseline(name: str, project: Path, base_url: str) -> None:
    """The naive way, run in its own process: every row of both sides in dicts, then compared."""
    started = time.perf_counter()
    desired: dict[str, dict[str, str]] = {}
    with (project / "manifests" / "records.csv").open(newline="") as stream:
        for row in csv.DictReader(stream):
            desired[row["VENDOR_URN"]] = {name: row[name] for name in FIELDS}
    records = (project / "manifests" / "records.yaml").read_text()
    dataset = records.split("id: ", 1)[1].split(",", 1)[0]
    body = {"list": read_live(base_url, dataset)}
    live = {row["VENDOR_URN"]: {name: str(row.get(name, "")) for name in FIELDS} for row in body["list"]}
    del body
    if name == "deepdiff":
        from deepdiff import DeepDiff

        result = DeepDiff(live, desired)
        changed = len(result.get("values_changed", {}))
        added = len(result.get("dictionary_item_added", []))
        removed = len(result.get("dictionary_item_removed", []))
    else:
        changed = added = removed = 0
        for key, want in desired.items():
            have = live.get(key)
            if have is None:
                added += 1
            elif any(_normal(want[f]).replace(" ", "") != _normal(have[f]).replace(" ", "") for f in FIELDS):
                changed += 1
        removed = sum(1 for key in live if key not in desired)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{name}: {changed} changed, {added} added, {removed} absent in {elapsed:.1f} s, {peak:.0f} MB",
        file=sys.stderr,
    )


# ------------------------------------------------------------------------------------------------ main

SCENARIOS = (
    "formats-1m",
    "plan-1m",
    "noop-1m",
    "plan-5m",
    "members-5m",
    "apply-100k",
    "apply-updates",
    "intake-100k",
    "baseline-dicts",
    "baseline-deepdiff",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=SCENARIOS)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=5_000_000)
    parser.add_argument("--members", type=int, default=5_000_000)
    parser.add_argument("--apply-rows", type=int, default=100_000)
    parser.add_argument("--deepdiff-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--json-style",
        action="append",
        choices=STYLES,
        help="the emulator's JSON layout for the plans (repeatable: each in turn); default compact",
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the generated data in this directory")
    parser.add_argument(
        "--compare-with",
        type=Path,
        default=None,
        help="formats-1m: also plan each format once with the reconciler of this directory (another revision)",
    )
    parser.add_argument("--internal-baseline", choices=("dicts", "deepdiff"), help=argparse.SUPPRESS)
    parser.add_argument("--internal-floor", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--live", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--internal-fetch", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dataset", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.internal_baseline:
        baseline(args.internal_baseline, args.project, args.base)
        return
    if args.internal_floor:
        floor(args.internal_floor, args.live)
        return
    if args.internal_fetch:
        fetch_live(args.base, args.dataset, args.internal_fetch)
        return
    chosen = args.only or list(SCENARIOS)
    styles = tuple(dict.fromkeys(args.json_style or ["compact"]))
    for tree in (REPO, args.compare_with):
        if tree is not None:
            compileall.compile_dir(tree / "reconciler", quiet=1)
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"bench_scale on {os.cpu_count()} cores; python {sys.version.split()[0]}; load average {load}")
    print(f"  {'run':<34} {'wall':>9}  {'peak RSS':>10}  {'emulator':>14}")
    with contextlib.ExitStack() as stack:
        work = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-scale-")))
        work.mkdir(parents=True, exist_ok=True)
        scenarios: dict[str, Callable[[], None]] = {
            "formats-1m": lambda: format_runs(work, args.rows, args.repeat, styles, args.compare_with),
            "plan-1m": lambda: plan_runs(
                work,
                "plan-1m",
                args.rows,
                noop=False,
                repeat=args.repeat,
                baselines=("dicts",) if "baseline-dicts" in chosen else (),
                styles=styles,
            ),
            "noop-1m": lambda: plan_runs(
                work, "noop-1m", args.rows, noop=True, repeat=args.repeat, styles=styles
            ),
            "plan-5m": lambda: plan_runs(
                work, "plan-5m", args.big_rows, noop=False, repeat=args.repeat, styles=styles
            ),
            "members-5m": lambda: members_runs(work, args.members, args.repeat, styles),
            "apply-100k": lambda: apply_runs(work, args.apply_rows, args.repeat),
            "apply-updates": lambda: apply_updates_runs(work, args.rows, args.repeat),
            "intake-100k": lambda: intake_runs(work, args.apply_rows, args.repeat),
            "baseline-dicts": lambda: (
                None
                if "plan-1m" in chosen
                else plan_runs(
                    work, "plan-1m", args.rows, noop=False, repeat=args.repeat, baselines=("dicts",)
                )
            ),
            "baseline-deepdiff": lambda: plan_runs(
                work,
                "plan-100k",
                args.deepdiff_rows,
                noop=False,
                repeat=args.repeat,
                baselines=("deepdiff", "dicts"),
            ),
        }
        for name in chosen:
            if name in scenarios:
                scenarios[name]()


if __name__ == "__main__":
    main()
