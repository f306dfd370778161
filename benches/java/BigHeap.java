import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.Timer;
import java.util.TimerTask;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Builds a large, realistic live heap for heapscope benchmarks, then waits to
 * be dumped. Normally run by {@code benches/make-dump.sh}.
 *
 * <pre>
 *   javac -d classes BigHeap.java
 *   java -XX:+UseParallelGC -Xmx4g -cp classes BigHeap 1450   # prints "READY &lt;pid&gt;"
 *   jcmd &lt;pid&gt; GC.heap_dump /abs/path/big.hprof
 * </pre>
 *
 * <p>The argument is the target live heap in MiB, as the JVM counts it (the
 * "Total" bytes of {@code jcmd <pid> GC.class_histogram}). Sizes are estimated
 * for 64-bit HotSpot with compressed oops and compressed class pointers (12-byte
 * object headers, 16-byte array headers, 4-byte references), the default for
 * heaps below 32 GB. The mix averages about 35 heap bytes per object. An HPROF
 * file is about 1.44 times larger than the live heap, because HPROF writes
 * every reference as 8 bytes and adds a 25-byte record header to every object
 * (about 50 dump bytes per object). Measured with JDK 17 and the Parallel GC:
 * a target of 1450 gives a 2.19 GB dump of 43.6 M objects; 725 gives 1.10 GB
 * and 21.8 M objects.
 *
 * <p>The heap is made of {@link Part}s, each given a share of the target. They
 * are built in {@value #ROUNDS} interleaved rounds, so that their objects are
 * spread over the whole heap as in a long-running application, and each part
 * is held by one object ({@code BigHeap$Caches}, {@code BigHeap$Chain}, ...)
 * reachable from the static field {@link #parts}. The graph is irregular, as
 * in real heaps: {@link Records} is a cross-linked graph where each record
 * holds 1 to 3 references to random earlier records and many records are held
 * only by other records, with {@link Profile}s shared by several records (so
 * dominated higher up than any of their owners), and some records are also
 * values of cache maps (so dominated by the root of everything); the cache
 * maps range from empty to 200 k entries; {@link Chain} has a list of more
 * than a million nodes and many chains of 1 k to 400 k nodes; the shared
 * strings, and the timer's tasks, which the live timer thread also reaches,
 * sit higher than the parts. Everything is reachable from static fields,
 * except the deliberate garbage of {@link PendingFinalization}. The content
 * is deterministic (fixed random seed).
 *
 * <p>The motivating case (a heap filled by objects with finalizers) is
 * reproduced by {@link Statements}: a shared {@link Timer} whose queue holds
 * many cancelled query-cancel {@link TimerTask}s, each the only referrer of a
 * closed {@link Statement} whose class overrides {@code finalize()}; and by
 * {@link PendingFinalization}: unreachable finalizable objects waiting in
 * {@code Finalizer.queue} behind a finalizer thread that is stuck in
 * {@link FinalizerBlocker#finalize()}.
 */
public final class BigHeap {

    /** Number of interleaved build rounds. */
    static final int ROUNDS = 64;

    /** Seed of the single random generator: the same target gives the same heap. */
    static final long SEED = 0x5EED_B16L;

    /** The target live heap, in bytes. */
    static long targetBytes;

    /** The parts of the heap, in build order. The root of everything built here. */
    static Part[] parts;

    /** The cross-linked records, also referenced from the cache maps. */
    static Records records;

    /** Strings shared by many parts (an object with many referrers). */
    static String[] sharedStrings;

    /** How many finalize() calls ran; stays 0 because the finalizer thread is blocked. */
    static volatile int finalizeCalls;

    public static void main(String[] args) throws Exception {
        if (args.length != 1 || !args[0].matches("[0-9]+") || Long.parseLong(args[0]) < 1) {
            System.err.println("usage: java BigHeap TARGET_LIVE_HEAP_MB");
            System.exit(2);
        }
        long target = Long.parseLong(args[0]) << 20;
        targetBytes = target;
        long start = System.nanoTime();
        SplittableRandom random = new SplittableRandom(SEED);

        // Shares of the target; they add up to 1.
        parts = new Part[] {
            new Texts(0.08, random),
            new Records(0.12),
            new Caches(0.26),
            new Orders(0.12),
            new Chain(0.09),
            new Trees(0.10),
            new MixedArrays(0.08),
            new Numbers(0.03),
            new Statements(0.10),
            new PendingFinalization(0.02),
        };
        records = (Records) parts[1];

        // 1. Park the finalizer thread, then leave objects pending finalization.
        //    Both are done first, while the heap is small and a full GC is cheap.
        FinalizerBlocker.blockFinalizerThread();
        PendingFinalization pending = (PendingFinalization) parts[parts.length - 1];
        pending.build(target, random);

        // 2. Build every other part in rounds; each round brings each part to
        //    its share of round/ROUNDS of the target.
        for (int round = 1; round <= ROUNDS; round++) {
            for (Part part : parts) {
                long goal = (long) (part.share * target * round / ROUNDS);
                while (part.bytes < goal) {
                    part.grow(random);
                }
            }
        }
        // 3. Root the records still waiting for a referrer, and drop the
        //    build-time index of the records (garbage in the dump).
        records.finish();

        printSummary(target, System.nanoTime() - start);
        System.out.println("READY " + ProcessHandle.current().pid());
        System.out.flush();

        // 4. On "GROW <MiB>" lines on stdin, grow the leaking parts (for a
        //    second dump to compare with the first), then say READY again.
        java.io.BufferedReader in = new java.io.BufferedReader(
                new java.io.InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.startsWith("GROW ")) {
                grow(Long.parseLong(line.substring(5).trim()) << 20, random);
                printSummary(target, System.nanoTime() - start);
                System.out.println("READY " + ProcessHandle.current().pid());
                System.out.flush();
            }
        }
        while (true) {
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    /**
     * Adds about {@code bytes} to the parts that leak in a real application:
     * 60% to {@link Statements} (more cancelled timer tasks holding
     * finalizable statements) and 40% to {@link Caches} (more cache maps).
     */
    static void grow(long bytes, SplittableRandom random) {
        for (Part part : parts) {
            double share = part instanceof Statements ? 0.6 : part instanceof Caches ? 0.4 : 0;
            long goal = part.bytes + (long) (share * bytes);
            while (part.bytes < goal) {
                part.grow(random);
            }
        }
    }

    static void printSummary(long target, long nanos) {
        long objects = 0;
        long bytes = 0;
        System.out.printf("%-20s %12s %10s %10s%n", "part", "objects", "MiB", "B/object");
        for (Part part : parts) {
            System.out.printf("%-20s %12d %10.1f %10.1f%n", part.name, part.objects,
                    part.bytes / 1048576.0, (double) part.bytes / Math.max(1, part.objects));
            objects += part.objects;
            bytes += part.bytes;
        }
        System.out.printf("%-20s %12d %10.1f %10.1f%n", "total (estimated)", objects,
                bytes / 1048576.0, (double) bytes / Math.max(1, objects));
        System.out.printf("target %d MiB, built in %.1f s, finalize() calls so far: %d%n",
                target >> 20, nanos / 1e9, finalizeCalls);
    }

    // ---- object sizes (64-bit HotSpot, compressed oops and class pointers) ----

    static final int HEADER = 12;
    static final int ARRAY_HEADER = 16;
    static final int REF = 4;

    static long align(long n) {
        return (n + 7) & ~7L;
    }

    static long instance(int fieldBytes) {
        return align(HEADER + fieldBytes);
    }

    static long array(long length, int elementBytes) {
        return align(ARRAY_HEADER + length * elementBytes);
    }

    static final long STRING = instance(REF + 4 + 1 + 1);         // value, hash, coder, hashIsZero
    static final long INTEGER = instance(4);
    static final long LONG = instance(8);
    static final long PLAIN_OBJECT = instance(0);
    static final long ARRAY_LIST = instance(REF + 4 + 4);         // elementData, size, modCount
    static final long HASH_MAP = instance(4 * REF + 4 * 4);       // table, entrySet, keySet, values + 4 ints
    static final long HASH_MAP_NODE = instance(4 + 3 * REF);      // hash, key, value, next
    static final long TREE_MAP = instance(7 * REF + 2 * 4);
    static final long TREE_MAP_ENTRY = instance(5 * REF + 1);     // key, value, left, right, parent, color
    static final long FINALIZER = instance(6 * REF);              // referent, queue, next, discovered, next, prev
    static final long LINKED_LIST = instance(2 * REF + 2 * 4);    // first, last, size, modCount
    static final long LINKED_LIST_NODE = instance(3 * REF);       // item, next, prev

    /** The HashMap capacity, a power of two, that holds n entries without resizing. */
    static int capacityFor(int n) {
        int wanted = (int) (n / 0.75f) + 1;
        return wanted <= 1 ? 1 : Integer.highestOneBit(wanted - 1) << 1;
    }

    /**
     * The capacity of a HashMap built with {@code new HashMap<>()} and then
     * given n entries (16, doubled while n exceeds 3/4 of it); 0 when it has no
     * table (no entry was ever put).
     */
    static int grownCapacity(int n) {
        if (n == 0) {
            return 0;
        }
        int capacity = 16;
        while (n > capacity / 4 * 3) {
            capacity <<= 1;
        }
        return capacity;
    }

    /**
     * The bytes that adding one element to a {@code new ArrayList<>()} of this
     * size allocates: its first array of 10, or the growth of its array by
     * half when full (the old array is garbage).
     */
    static long listAddBytes(int size) {
        if (size == 0) {
            return array(10, REF);
        }
        int capacity = 10;
        while (capacity < size) {
            capacity += Math.max(1, capacity >> 1);
        }
        if (capacity != size) {
            return 0;
        }
        return array(capacity + Math.max(1, capacity >> 1), REF) - array(capacity, REF);
    }

    /** A length in [lo, hi], log-uniformly distributed: many small, some large. */
    static int logUniform(SplittableRandom random, int lo, int hi) {
        double l = Math.log(lo);
        double h = Math.log(hi + 1.0);
        return Math.min(hi, (int) Math.exp(l + random.nextDouble() * (h - l)));
    }

    static String sharedString(SplittableRandom random) {
        return sharedStrings[random.nextInt(sharedStrings.length)];
    }

    // ---- the parts ----------------------------------------------------------

    /** One part of the heap, with a running estimate of what it holds. */
    abstract static class Part {
        final String name;
        /** This part's share of the target size. */
        final double share;
        long objects;
        long bytes;

        Part(double share) {
            this.name = getClass().getSimpleName();
            this.share = share;
        }

        /** Adds one unit (a map, a list, a tree, ...) to this part and counts it. */
        abstract void grow(SplittableRandom random);

        void count(long n, long size) {
            objects += n;
            bytes += size;
        }

        /** Counts a Latin-1 string and its byte[] and returns it. */
        String latin1(String s) {
            count(2, STRING + array(s.length(), 1));
            return s;
        }

        /** Counts a UTF-16 string (two bytes per char) and its byte[] and returns it. */
        String utf16(String s) {
            count(2, STRING + array(2L * s.length(), 1));
            return s;
        }

        static final String[] WORDS = {
            "", "id", "user:", "session-", "order/", "price=", "status=OK;id=", "en_US.",
            "GET /api/v2/orders/", "com.example.billing.Invoice#", "SELECT * FROM t WHERE k=",
            "cache.entry.", "x", "tmp", "Authorization: Bearer ", "2024-05-17T10:15:",
        };
        static final String[] WORDS_UTF16 = {
            "Заказ №", "注文番号 ", "Preis in € ", "Ωmega-", "ユーザー:", "Straße ✓ ",
        };

        /** A new short string: mostly Latin-1, one in ten UTF-16. */
        String text(SplittableRandom random) {
            if (random.nextInt(10) == 0) {
                return utf16(WORDS_UTF16[random.nextInt(WORDS_UTF16.length)] + random.nextInt(100_000));
            }
            String word = WORDS[random.nextInt(WORDS.length)];
            return latin1(random.nextBoolean()
                    ? word + random.nextLong(1L << 40)
                    : word + Long.toHexString(random.nextLong(1L << 32)));
        }
    }

    /** Short strings in String[] chunks, and the pool of shared strings. */
    static final class Texts extends Part {
        static final int CHUNK = 1024;
        final List<String[]> chunks = new ArrayList<>();

        Texts(double share, SplittableRandom random) {
            super(share);
            sharedStrings = new String[50_000];
            count(1, array(sharedStrings.length, REF));
            for (int i = 0; i < sharedStrings.length; i++) {
                sharedStrings[i] = text(random);
            }
        }

        @Override
        void grow(SplittableRandom random) {
            String[] chunk = new String[CHUNK];
            count(1, array(CHUNK, REF));
            for (int i = 0; i < CHUNK; i++) {
                chunk[i] = text(random);
            }
            chunks.add(chunk);
        }
    }

    /**
     * HashMap graphs: String keys to boxed numbers, strings, shared strings,
     * small nested maps and records. Sizes vary: log-uniform from 1 to 2000
     * entries, 5% empty, 0.1% of 20 k to 200 k entries; half are presized,
     * half grown by resizing from the default capacity.
     */
    static final class Caches extends Part {
        final List<Map<String, Object>> maps = new ArrayList<>();
        long nextKey;

        Caches(double share) {
            super(share);
        }

        @Override
        void grow(SplittableRandom random) {
            int size = random.nextInt(1000);
            int n = size == 0 ? logUniform(random, 20_000, 200_000) : size < 50 ? 0 : logUniform(random, 1, 2000);
            boolean presized = random.nextBoolean();
            int capacity = presized ? capacityFor(n) : grownCapacity(n);
            Map<String, Object> map = presized ? new HashMap<>(capacity) : new HashMap<>();
            count(1, HASH_MAP);
            if (n > 0) {
                count(1, array(capacity, REF)); // the table, allocated by the first put
            }
            String prefix = WORDS[random.nextInt(WORDS.length)];
            for (int i = 0; i < n; i++) {
                // Unique keys: a bijection of a counter on 40 bits.
                String key = latin1(prefix + Long.toHexString(nextKey++ * 0x9E3779B97F4A7C15L & 0xFF_FFFF_FFFFL));
                map.put(key, value(random));
            }
            count(n, n * HASH_MAP_NODE);
            maps.add(map);
        }

        private Object value(SplittableRandom random) {
            int kind = random.nextInt(40);
            if (kind < 16) {
                count(1, INTEGER);
                return Integer.valueOf(1000 + random.nextInt(1 << 30)); // outside the Integer cache
            } else if (kind < 24) {
                count(1, LONG);
                return Long.valueOf((1L << 33) + random.nextLong(1L << 50));
            } else if (kind < 35) {
                return text(random);
            } else if (kind < 37) {
                Record record = records.randomRecord(random); // a second owner for a record
                return record != null ? record : sharedString(random);
            } else if (kind < 38) {
                return nested(random);
            } else {
                return sharedString(random);
            }
        }

        /** A small HashMap of boxed ints to shared strings. */
        private Map<Integer, String> nested(SplittableRandom random) {
            Map<Integer, String> map = new HashMap<>();
            int n = 1 + random.nextInt(8);
            for (int i = 0; i < n; i++) {
                map.put(1000 + random.nextInt(1 << 30), sharedString(random));
            }
            count(2 + 2L * map.size(), HASH_MAP + array(grownCapacity(map.size()), REF)
                    + map.size() * (HASH_MAP_NODE + INTEGER));
            return map;
        }
    }

    /** A record of the cross-linked part. */
    static final class Record {
        static final long SIZE = instance(8 + 4 + 5 * REF);
        final long id;
        final int flags;
        final String name;
        /** Shared with 1 to 7 other records, or null. */
        final Profile profile;
        /** An earlier record: one waiting for a referrer, or a random one. */
        Record first;
        /** Random earlier records, or null. */
        Record second;
        Record third;

        Record(long id, int flags, String name, Profile profile) {
            this.id = id;
            this.flags = flags;
            this.name = name;
            this.profile = profile;
        }
    }

    /** A sub-object shared by 2 to 8 records, sometimes with a parent profile. */
    static final class Profile {
        static final long SIZE = instance(3 * REF + 4);
        final String region;
        final int[] scores;
        final Profile parent;
        final int owners;

        Profile(String region, int[] scores, Profile parent, int owners) {
            this.region = region;
            this.scores = scores;
            this.parent = parent;
            this.owners = owners;
        }
    }

    /** A session: the rooted records, in an ArrayList grown by adds. */
    static final class Session {
        static final long SIZE = instance(8 + 2 * REF);
        final long started;
        final String user;
        final List<Record> records = new ArrayList<>();

        Session(long started, String user) {
            this.started = started;
            this.user = user;
        }
    }

    /**
     * A cross-linked graph of records, the irregular part of the heap. Each
     * record after the first holds 1 to 3 references to earlier records (50%
     * one, 30% two, 20% three): the first to a record still waiting for a
     * referrer if there is one, the others to random earlier records (60%
     * uniform over all, 40% among the 4096 latest). One record in four is
     * rooted in a {@link Session} (of 1 to 5000 rooted records, log-uniform);
     * the others wait for a later record to reference them, which makes
     * chains of records held only by records. Half the records share a
     * {@link Profile} with 1 to 7 neighbours, so a profile is dominated by
     * whatever dominates all its owners; some records are also values of the
     * cache maps. The records are held during the build by an index (for the
     * random choices), dropped by {@link #finish()}, so that the dominators
     * are those of the graph.
     */
    static final class Records extends Part {
        static final int BATCH = 256;
        final List<Session> sessions = new ArrayList<>();
        Session session;
        int sessionLeft;
        Profile profile;
        int profileLeft;
        /** Every record built, until {@link #finish()}. */
        Record[] index = new Record[1 << 16];
        int indexSize;
        /** Records of the index that no record or session references yet. */
        int[] pending = new int[64];
        int pendingSize;

        Records(double share) {
            super(share);
        }

        @Override
        void grow(SplittableRandom random) {
            for (int i = 0; i < BATCH; i++) {
                add(random);
            }
        }

        private void add(SplittableRandom random) {
            String name = random.nextInt(3) == 0 ? sharedString(random) : text(random);
            Profile shared = null;
            if (random.nextBoolean()) {
                if (profileLeft == 0) {
                    newProfile(random);
                }
                shared = profile;
                profileLeft--;
            }
            Record record = new Record(indexSize, random.nextInt(), name, shared);
            count(1, Record.SIZE);
            if (indexSize > 0) {
                record.first = pendingSize > 0 ? takePending(random) : earlier(random);
                int extra = random.nextInt(10);
                if (extra >= 5) {
                    record.second = earlier(random);
                }
                if (extra >= 8) {
                    record.third = earlier(random);
                }
            }
            if (indexSize == index.length) {
                index = java.util.Arrays.copyOf(index, 2 * index.length);
            }
            index[indexSize] = record;
            if (indexSize == 0 || random.nextInt(4) == 0) {
                root(record, random);
            } else {
                if (pendingSize == pending.length) {
                    pending = java.util.Arrays.copyOf(pending, 2 * pending.length);
                }
                pending[pendingSize++] = indexSize;
            }
            indexSize++;
        }

        /** A random earlier record. */
        private Record earlier(SplittableRandom random) {
            if (random.nextInt(10) < 6) {
                return index[random.nextInt(indexSize)];
            }
            return index[indexSize - 1 - random.nextInt(Math.min(indexSize, 4096))];
        }

        /** Removes and returns a random record waiting for a referrer. */
        private Record takePending(SplittableRandom random) {
            int i = random.nextInt(pendingSize);
            Record record = index[pending[i]];
            pending[i] = pending[--pendingSize];
            return record;
        }

        /** A random record built so far, or null once the build is over. */
        Record randomRecord(SplittableRandom random) {
            return index == null || indexSize == 0 ? null : earlier(random);
        }

        private void root(Record record, SplittableRandom random) {
            if (sessionLeft == 0) {
                session = new Session(random.nextLong(1L << 41),
                        random.nextBoolean() ? sharedString(random) : text(random));
                count(2, Session.SIZE + ARRAY_LIST);
                count(0, listAddBytes(sessions.size()));
                sessions.add(session);
                sessionLeft = logUniform(random, 1, 5000);
            }
            count(0, listAddBytes(session.records.size()));
            session.records.add(record);
            sessionLeft--;
        }

        private void newProfile(SplittableRandom random) {
            int[] scores = new int[logUniform(random, 1, 32)];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = random.nextInt(1000);
            }
            int owners = 2 + random.nextInt(7);
            Profile parent = profile != null && random.nextInt(4) == 0 ? profile : null;
            profile = new Profile(random.nextBoolean() ? sharedString(random) : text(random), scores, parent, owners);
            profileLeft = owners;
            count(2, Profile.SIZE + array(scores.length, 4));
        }

        /** Roots the records still waiting for a referrer, then drops the index. */
        void finish() {
            SplittableRandom random = new SplittableRandom(SEED + 1);
            for (int i = 0; i < pendingSize; i++) {
                root(index[pending[i]], random);
            }
            index = null;
            pending = null;
            pendingSize = 0;
        }
    }

    /** A line of an order: a small object in an ArrayList. */
    static final class OrderLine {
        static final long SIZE = instance(8 + 4 + REF);
        final long productId;
        final int quantity;
        final String label;

        OrderLine(long productId, int quantity, String label) {
            this.productId = productId;
            this.quantity = quantity;
            this.label = label;
        }
    }

    /** ArrayLists of small objects, half of them labelled with a shared string. */
    static final class Orders extends Part {
        final List<List<OrderLine>> orders = new ArrayList<>();

        Orders(double share) {
            super(share);
        }

        @Override
        void grow(SplittableRandom random) {
            int n = logUniform(random, 1, 3000);
            List<OrderLine> lines = new ArrayList<>(n); // exact capacity
            count(2, ARRAY_LIST + array(n, REF));
            for (int i = 0; i < n; i++) {
                String label = random.nextBoolean() ? sharedString(random) : latin1("SKU-" + random.nextInt(1 << 24));
                lines.add(new OrderLine(random.nextLong(1L << 40), 1 + random.nextInt(20), label));
            }
            count(n, n * OrderLine.SIZE);
            orders.add(lines);
        }
    }

    /** A node of the long singly linked list. */
    static final class Link {
        static final long SIZE = instance(8 + REF);
        final long value;
        Link next;

        Link(long value) {
            this.value = value;
        }
    }

    /**
     * Linked chains: half of the share is one singly linked list of more than
     * a million nodes, spread over all rounds (a chain as long as the list in
     * the dominator tree, which defeats recursive graph walks); the other half
     * is many chains of 1 k to 400 k nodes (log-uniform, so about one in four
     * has more than 100 k), singly linked {@link Link}s or doubly linked
     * {@link LinkedList}s of boxed Longs.
     */
    static final class Chain extends Part {
        static final int BATCH = 4096;
        final Link head = new Link(0);
        Link tail = head;
        long length = 1;
        final List<Object> chains = new ArrayList<>();
        Link otherTail;
        LinkedList<Long> otherList;
        int otherLeft;
        boolean giantTurn;

        Chain(double share) {
            super(share);
            count(1, Link.SIZE);
        }

        @Override
        void grow(SplittableRandom random) {
            giantTurn = !giantTurn;
            if (!giantTurn) {
                growOther(random);
                return;
            }
            for (int i = 0; i < BATCH; i++) {
                Link link = new Link(random.nextLong());
                tail.next = link;
                tail = link;
            }
            length += BATCH;
            count(BATCH, BATCH * Link.SIZE);
        }

        private void growOther(SplittableRandom random) {
            if (otherLeft == 0) {
                otherLeft = logUniform(random, 1000, 400_000);
                count(0, listAddBytes(chains.size()));
                if (random.nextBoolean()) {
                    otherList = null;
                    otherTail = new Link(random.nextLong());
                    count(1, Link.SIZE);
                    chains.add(otherTail);
                    otherLeft--;
                } else {
                    otherList = new LinkedList<>();
                    count(1, LINKED_LIST);
                    chains.add(otherList);
                }
            }
            int n = Math.min(BATCH, otherLeft);
            if (otherList != null) {
                for (int i = 0; i < n; i++) {
                    otherList.add((1L << 33) + random.nextLong(1L << 50)); // outside the Long cache
                }
                count(2L * n, n * (LINKED_LIST_NODE + LONG));
            } else {
                for (int i = 0; i < n; i++) {
                    Link link = new Link(random.nextLong());
                    otherTail.next = link;
                    otherTail = link;
                }
                count(n, n * Link.SIZE);
            }
            otherLeft -= n;
        }
    }

    /** A node of a balanced binary tree, with an occasional boxed payload. */
    static final class TreeNode {
        static final long SIZE = instance(3 * REF + 4);
        TreeNode left;
        TreeNode right;
        final int key;
        final Object payload;

        TreeNode(int key, Object payload) {
            this.key = key;
            this.payload = payload;
        }
    }

    /** Balanced binary trees of 7 to 32767 small nodes, and TreeMaps. */
    static final class Trees extends Part {
        final List<Object> trees = new ArrayList<>();

        Trees(double share) {
            super(share);
        }

        @Override
        void grow(SplittableRandom random) {
            if (random.nextBoolean()) {
                int n = (1 << (3 + random.nextInt(13))) - 1;
                trees.add(build(0, n - 1, random));
            } else {
                int n = logUniform(random, 1, 3000);
                TreeMap<Long, String> map = new TreeMap<>();
                count(1, TREE_MAP);
                for (int i = 0; i < n; i++) {
                    String value = random.nextInt(3) == 0 ? sharedString(random) : text(random);
                    map.put(random.nextLong(1L << 48) + 1000, value); // new Long, outside the cache
                }
                count(2L * map.size(), map.size() * (TREE_MAP_ENTRY + LONG));
                trees.add(map);
            }
        }

        /** Builds the subtree of the keys lo..hi, in pre-order. */
        private TreeNode build(int lo, int hi, SplittableRandom random) {
            if (lo > hi) {
                return null;
            }
            int mid = (lo + hi) >>> 1;
            Object payload = null;
            if (random.nextInt(4) == 0) {
                payload = Integer.valueOf(1000 + mid);
                count(1, INTEGER);
            }
            TreeNode node = new TreeNode(mid, payload);
            count(1, TreeNode.SIZE);
            node.left = build(lo, mid - 1, random);
            node.right = build(mid + 1, hi, random);
            return node;
        }
    }

    /**
     * int[], long[] and Object[] of lengths 0 to 4096 (log-uniform), plus a few
     * arrays of several MiB (each gets an HPROF heap-dump segment of its own).
     */
    static final class MixedArrays extends Part {
        final List<Object> arrays = new ArrayList<>();
        boolean bigOnesDone;

        MixedArrays(double share) {
            super(share);
        }

        @Override
        void grow(SplittableRandom random) {
            if (!bigOnesDone) {
                bigOnesDone = true;
                if (bytes == 0 && share * targetBytes >= 256 << 20) {
                    addBigOnes(random);
                }
            }
            int n = logUniform(random, 1, 4097) - 1;
            int kind = random.nextInt(10);
            if (kind < 4) {
                arrays.add(ints(n, random));
            } else if (kind < 7) {
                arrays.add(longs(n, random));
            } else {
                arrays.add(objects(n, random));
            }
        }

        private void addBigOnes(SplittableRandom random) {
            for (int i = 0; i < 2; i++) {
                byte[] buffer = new byte[4 << 20];
                random.nextBytes(buffer);
                count(1, array(buffer.length, 1));
                arrays.add(buffer);
            }
            arrays.add(ints(1 << 20, random));
            arrays.add(longs(1 << 20, random));
            arrays.add(objects(1 << 20, random));
        }

        private int[] ints(int n, SplittableRandom random) {
            int[] a = new int[n];
            for (int i = 0; i < n; i++) {
                a[i] = random.nextInt();
            }
            count(1, array(n, 4));
            return a;
        }

        private long[] longs(int n, SplittableRandom random) {
            long[] a = new long[n];
            for (int i = 0; i < n; i++) {
                a[i] = random.nextLong();
            }
            count(1, array(n, 8));
            return a;
        }

        /** An Object[] whose slots are shared strings or, one in four, null. */
        private Object[] objects(int n, SplittableRandom random) {
            Object[] a = new Object[n];
            for (int i = 0; i < n; i++) {
                a[i] = random.nextInt(4) == 0 ? null : sharedString(random);
            }
            count(1, array(n, REF));
            return a;
        }
    }

    /** ArrayLists of boxed Integers or Longs. */
    static final class Numbers extends Part {
        final List<List<? extends Number>> lists = new ArrayList<>();

        Numbers(double share) {
            super(share);
        }

        @Override
        void grow(SplittableRandom random) {
            int n = logUniform(random, 1, 5000);
            count(2, ARRAY_LIST + array(n, REF));
            if (random.nextBoolean()) {
                List<Integer> list = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    list.add(1000 + random.nextInt(1 << 30));
                }
                count(n, n * INTEGER);
                lists.add(list);
            } else {
                List<Long> list = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    list.add((1L << 33) + random.nextLong(1L << 50));
                }
                count(n, n * LONG);
                lists.add(list);
            }
        }
    }

    // ---- the motivating case --------------------------------------------------

    /** A database connection, shared by many statements. */
    static final class Connection {
        final String url;
        final String user;
        final int backendPid;

        Connection(String url, String user, int backendPid) {
            this.url = url;
            this.user = user;
            this.backendPid = backendPid;
        }
    }

    /**
     * A JDBC-like statement whose class overrides finalize() (with a non-empty
     * body, so HotSpot registers every instance with a java.lang.ref.Finalizer),
     * like the PreparedStatement of an old PostgreSQL driver.
     */
    static final class Statement {
        static final long SIZE = instance(4 * REF + 4 + 1);
        final Connection connection;
        final String sql;
        final byte[] parameters;
        final int fetchSize;
        StatementCancelTask cancelTask;
        boolean closed;

        Statement(Connection connection, String sql, byte[] parameters, int fetchSize) {
            this.connection = connection;
            this.sql = sql;
            this.parameters = parameters;
            this.fetchSize = fetchSize;
        }

        /** Arms a query-cancel task on the shared timer, as every execution does. */
        void execute(Timer timer, long timeoutMillis) {
            cancelTask = new StatementCancelTask(this);
            timer.schedule(cancelTask, timeoutMillis);
        }

        /**
         * Only marks the task cancelled: it stays in the timer's queue, keeping
         * this statement alive, until the timer thread reaches it.
         */
        void close() {
            closed = true;
            if (cancelTask != null) {
                cancelTask.cancel();
                cancelTask = null;
            }
        }

        @SuppressWarnings({"deprecation", "removal"}) // finalize() is the point
        @Override
        protected void finalize() {
            finalizeCalls++;
            close();
        }
    }

    /** The task that would cancel a query running too long. */
    static final class StatementCancelTask extends TimerTask {
        static final long SIZE = instance(REF + 4 + 8 + 8 + REF); // TimerTask fields, statement
        final Statement statement;

        StatementCancelTask(Statement statement) {
            this.statement = statement;
        }

        @Override
        public void run() {
            statement.closed = true; // a real driver would send a cancel request
        }
    }

    /**
     * The motivating case: a shared Timer whose TaskQueue holds many cancelled
     * StatementCancelTasks, each the only referrer of a closed Statement. The
     * path to a GC root that avoids the Finalizer is
     * Statement &lt;- StatementCancelTask &lt;- TimerTask[] &lt;- TaskQueue &lt;- TimerThread.
     *
     * <p>The first task armed is for a statement still running; it is due
     * first, so the timer thread sleeps until then (about 50 minutes) and does
     * not remove the cancelled tasks queued behind it: dump before that.
     */
    static final class Statements extends Part {
        static final long QUERY_TIMEOUT_MILLIS = 3000_000;
        static final int BATCH = 1024;
        final Timer timer = new Timer("Shared-Query-Cancel-Timer", true);
        final Connection[] connections = new Connection[64];
        final String[] sqls = new String[200];
        /** Mirrors the TaskQueue's array growth, to count it. */
        int queueSize;
        int queueLength = 128;
        /** The statement still executing, whose task heads the timer's queue. */
        Statement running;

        Statements(double share) {
            super(share);
            for (int i = 0; i < connections.length; i++) {
                connections[i] = new Connection(latin1("jdbc:postgresql://db-" + (i % 4) + ".example.com:5432/shop"),
                        latin1("app_user_" + (i % 8)), 10_000 + i);
            }
            count(connections.length + 1, connections.length * instance(3 * REF) + array(connections.length, REF));
            for (int i = 0; i < sqls.length; i++) {
                sqls[i] = latin1("SELECT o.id, o.customer_id, o.total, o.status FROM orders o"
                        + " WHERE o.customer_id = $1 AND o.shard = " + i + " ORDER BY o.created_at DESC LIMIT $2");
            }
            count(1, array(sqls.length, REF));
        }

        @Override
        void grow(SplittableRandom random) {
            if (running == null) {
                running = newStatement(random);
                running.execute(timer, QUERY_TIMEOUT_MILLIS - 1000); // due before every other task
                countTask();
            }
            for (int i = 0; i < BATCH; i++) {
                Statement statement = newStatement(random);
                statement.execute(timer, QUERY_TIMEOUT_MILLIS);
                countTask();
                statement.close();
            }
        }

        private Statement newStatement(SplittableRandom random) {
            byte[] parameters = new byte[16 + random.nextInt(64)];
            random.nextBytes(parameters);
            Statement statement = new Statement(connections[random.nextInt(connections.length)],
                    sqls[random.nextInt(sqls.length)], parameters, 10 * random.nextInt(100));
            count(3, Statement.SIZE + FINALIZER + array(parameters.length, 1));
            return statement;
        }

        /** Counts a task, its lock object, and the growth of the timer's queue. */
        private void countTask() {
            count(2, StatementCancelTask.SIZE + PLAIN_OBJECT);
            if (queueSize + 1 == queueLength) {
                count(0, array(2L * queueLength, REF) - array(queueLength, REF));
                queueLength *= 2;
            }
            queueSize++;
        }
    }

    /** A cursor nobody closed; its finalizer would release the buffer. */
    static final class AbandonedCursor {
        static final long SIZE = instance(4 + REF);
        final int id;
        final byte[] buffer;

        AbandonedCursor(int id, byte[] buffer) {
            this.id = id;
            this.buffer = buffer;
        }

        @SuppressWarnings({"deprecation", "removal"}) // finalize() is the point
        @Override
        protected void finalize() {
            finalizeCalls++;
        }
    }

    /**
     * Unreachable finalizable objects that wait in Finalizer.queue because the
     * finalizer thread is blocked: a few hundred thousand for a 2 GB heap. Only
     * their Finalizers keep them (and their buffers) alive.
     */
    static final class PendingFinalization extends Part {
        static final int BATCH = 1024;

        PendingFinalization(double share) {
            super(share);
        }

        @Override
        void grow(SplittableRandom random) {
            for (int i = 0; i < BATCH; i++) {
                byte[] buffer = new byte[8 + random.nextInt(48)];
                new AbandonedCursor((int) objects, buffer); // garbage at once
                count(3, AbandonedCursor.SIZE + FINALIZER + array(buffer.length, 1));
            }
        }

        /**
         * Allocates the whole share, then has a GC discover the garbage and
         * waits until the reference handler has moved its Finalizers to
         * Finalizer.queue.
         */
        void build(long target, SplittableRandom random) throws InterruptedException {
            long goal = (long) (share * target);
            while (bytes < goal) {
                grow(random);
            }
            // One more doomed object, watched by a weak reference: weak references
            // are cleared before finalizable objects are discovered, and both are
            // handed to the reference handler by the same GC.
            ReferenceQueue<Object> watch = new ReferenceQueue<>();
            WeakReference<Object> canary = new WeakReference<>(new AbandonedCursor(-1, new byte[8]), watch);
            count(3, AbandonedCursor.SIZE + FINALIZER + array(8, 1));
            System.gc();
            if (watch.remove(10_000) != canary) {
                System.out.println("warning: the GC did not discover the pending objects");
            }
            Thread.sleep(500); // let the reference handler finish the pending list
        }
    }

    /**
     * Parks the single finalizer thread for ever: once it runs this finalize(),
     * nothing else is finalized, and unreachable finalizable objects pile up in
     * Finalizer.queue.
     */
    static final class FinalizerBlocker {
        static final CountDownLatch ENTERED = new CountDownLatch(1);

        @SuppressWarnings({"deprecation", "removal"}) // finalize() is the point
        @Override
        protected void finalize() throws InterruptedException {
            ENTERED.countDown();
            Thread.sleep(Long.MAX_VALUE);
        }

        static void blockFinalizerThread() throws InterruptedException {
            new FinalizerBlocker();
            for (int i = 0; i < 50 && !ENTERED.await(100, TimeUnit.MILLISECONDS); i++) {
                System.gc();
            }
            if (ENTERED.getCount() != 0) {
                System.out.println("warning: the finalizer thread is not blocked");
            }
        }
    }
}
