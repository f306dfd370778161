import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Exchanger;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * A heap with known contents for heapscope's tests (JDK 11, 17, 21, 25).
 *
 * It builds objects of many shapes (a class hierarchy with every field
 * type and known values, every primitive array, nested arrays, Latin-1 and
 * UTF-16 strings, collections, boxed values, enums, lambdas, a thread
 * holding a local, class hierarchies whose field layout changed in JDK 15,
 * JDK classes with @Contended padding: LongAdder cells, ConcurrentHashMap
 * counter cells, Exchanger nodes, ForkJoinPool and its work queues, a
 * SubmissionPublisher subscription), prints "READY <pid>" and sleeps, so
 * that the test can
 * take `jcmd GC.class_histogram` and `jcmd GC.heap_dump` at a quiet moment.
 *
 * Counts the tests rely on: NODES instances of HeapSubject$Node in a
 * linked chain, CHUNKS HeapSubject$Chunk each owning a long[CHUNK_LEN],
 * and GARBAGE HeapSubject$Garbage allocated after the last GC and
 * unreachable (only in "-all" dumps).
 */
public class HeapSubject {
    static final int NODES = 12_345;
    static final int CHUNKS = 100;
    static final int CHUNK_LEN = 1_000;
    static final int GARBAGE = 777;

    static class Base {
        int baseInt = 0x11223344;
        long baseLong = 0x0102030405060708L;
        Object baseRef = "baseRefString";
    }

    static class Derived extends Base {
        static int S_COUNT = 0xCAFEBABE;
        static String S_NAME = "static-name";
        static long S_LONG = 0x1122334455667788L;
        byte dByte = 0x7f;
        short dShort = 0x1234;
        char dChar = 'Z';
        boolean dBool = true;
        float dFloat = 1.5f;
        double dDouble = 2.25;
        Object dRef = null;
        int baseInt = 0x55667788; // shadows Base.baseInt
    }

    static class Node {
        final int index;
        Node next;
        Node(int index, Node next) { this.index = index; this.next = next; }
    }

    static class Chunk {
        final long[] data = new long[CHUNK_LEN];
    }

    static class Garbage {
        int v;
        Garbage(int v) { this.v = v; }
    }

    enum Colour { RED, GREEN, BLUE }

    // Before JDK 15 a subclass's fields start after its superclass's
    // fields rounded up to the reference size; from 15 they fill the gap.
    static class OneByte { byte a = 1; }
    static class TwoBytes extends OneByte { byte b = 2; }
    static class ByteThenLong extends OneByte { long l = 3; }
    static class ByteThenRef extends OneByte { Object r = null; }
    static class IntThenLongs { int i = 4; }
    static class LongsAfterInt extends IntThenLongs { long x = 5; long y = 6; short s = 7; }
    static class Mixed extends TwoBytes { boolean z = true; char c = 'c'; double d = 8; Object r = null; }

    static class Outer {
        class Inner {
            int depth = 7;
        }
        Inner make() { return new Inner(); }
    }

    static final List<Object> KEEP = new ArrayList<>();
    static Derived derived = new Derived();
    static String latin1 = "Hello, HPROF!";
    static String utf16 = "h\u00e9llo \u20ac\u4e16";
    static boolean[] zs = {true, false, true};
    static char[] cs = {'A', '\u20ac'};
    static float[] fs = {1.0f, -2.5f};
    static double[] ds = {Math.PI};
    static byte[] bs = {1, 2, 3, (byte) 0xff};
    static short[] ss = {0x0102, (short) 0xfffe};
    static int[] is = {0x01020304, -1};
    static long[] ls = {0x0102030405060708L};
    static Object[] os = {latin1, null, derived};
    static int[][] grid = new int[3][4];
    static String[][] names = {{"a", "b"}, {"c"}};
    static Node chain;
    static Chunk[] chunks = new Chunk[CHUNKS];
    static Colour colour = Colour.GREEN;
    static Outer.Inner inner = new Outer().make();

    /**
     * Objects of the JDK's @Contended classes: contention makes LongAdder
     * and ConcurrentHashMap allocate their padded cells.
     */
    static void contended() throws Exception {
        LongAdder adder = new LongAdder();
        ConcurrentHashMap<Integer, Integer> counted = new ConcurrentHashMap<>();
        Thread[] hammers = new Thread[4];
        for (int t = 0; t < hammers.length; t++) {
            final int base = t * 1_000_000;
            hammers[t] = new Thread(() -> {
                for (int i = 0; i < 200_000; i++) {
                    adder.increment();
                    counted.put(base + (i & 1023), i);
                    counted.remove(base + ((i + 512) & 1023));
                }
            });
            hammers[t].start();
        }
        for (Thread h : hammers) {
            h.join();
        }
        KEEP.add(adder);
        KEEP.add(counted);

        // Each side of an exchange keeps its node in a thread local.
        Exchanger<String> exchanger = new Exchanger<>();
        Thread partner = new Thread(() -> {
            try {
                exchanger.exchange("from partner");
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                // exit
            }
        }, "heapscope-exchanger");
        partner.setDaemon(true);
        partner.start();
        exchanger.exchange("from main");
        KEEP.add(exchanger);

        ForkJoinPool pool = new ForkJoinPool(2);
        pool.submit(() -> 42).get();
        KEEP.add(pool);

        SubmissionPublisher<String> publisher = new SubmissionPublisher<>();
        publisher.subscribe(new java.util.concurrent.Flow.Subscriber<String>() {
            public void onSubscribe(java.util.concurrent.Flow.Subscription s) { s.request(1); }
            public void onNext(String item) { }
            public void onError(Throwable t) { }
            public void onComplete() { }
        });
        KEEP.add(publisher);
    }

    public static void main(String[] args) throws Exception {
        for (int i = NODES - 1; i >= 0; i--) {
            chain = new Node(i, chain);
        }
        for (int i = 0; i < CHUNKS; i++) {
            chunks[i] = new Chunk();
        }
        Map<String, Integer> map = new HashMap<>();
        TreeMap<Integer, String> tree = new TreeMap<>();
        Map<Long, Object> concurrent = new ConcurrentHashMap<>();
        LinkedList<Double> linked = new LinkedList<>();
        for (int i = 0; i < 2_000; i++) {
            map.put("key-" + i, i * 1_000);
            tree.put(i, "v" + i);
            concurrent.put((long) i * 100_000L, new int[i % 7]);
            linked.add(i / 3.0);
        }
        KEEP.add(map);
        KEEP.add(tree);
        KEEP.add(concurrent);
        KEEP.add(linked);
        Supplier<String> lambda = () -> latin1 + utf16;
        KEEP.add(lambda);
        KEEP.add(Colour.values());
        for (int i = 0; i < 10; i++) {
            KEEP.add(new OneByte());
            KEEP.add(new TwoBytes());
            KEEP.add(new ByteThenLong());
            KEEP.add(new ByteThenRef());
            KEEP.add(new IntThenLongs());
            KEEP.add(new LongsAfterInt());
            KEEP.add(new Mixed());
        }
        contended();

        Object local = new StringBuilder("held-by-a-thread");
        Thread holder = new Thread(() -> {
            Object mine = new StringBuilder("local-of-holder");
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                // exit
            }
            System.out.println(mine);
        }, "heapscope-holder");
        holder.setDaemon(true);
        holder.start();

        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        for (int i = 0; i < GARBAGE; i++) {
            new Garbage(i);
        }
        System.out.println("READY " + ProcessHandle.current().pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
        System.out.println(local);
    }
}
