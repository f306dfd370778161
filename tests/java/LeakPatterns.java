import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Timer;
import java.util.TimerTask;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The leaks and the waste a MAT user looks for first, each with a known
 * count, for heapscope's suspects and waste tests (JDK 11, 17, 21, 25):
 *  - Registry.SESSIONS: a static ArrayList of SESSIONS Session objects,
 *    each with its own byte[SESSION_BYTES]: the biggest holder, whose
 *    accumulation point is the list's Object[] elementData;
 *  - LeakPatterns.chain: a LinkedBlockingQueue of CHAIN byte[CHAIN_BYTES]
 *    (singly linked): a big holder whose memory is along a chain of
 *    LinkedBlockingQueue$Node, each dominating the next;
 *  - one java.util.Timer ("LeakTimer") whose queue holds CANCELLED
 *    cancelled CancelTask objects (state CANCELLED), each holding a
 *    finalizable Statement with a byte[STATEMENT_BYTES], and ACTIVE
 *    scheduled ones that are not cancelled;
 *  - a fixed pool of POOL threads ("leak-pool-N"), each holding a
 *    ThreadLocal value Big with a byte[LOCAL_BYTES];
 *  - a class loader (PluginLoader) whose one class, a copy of Plugin, has
 *    one instance, held only as a ThreadLocal value of the first pool
 *    thread: nothing else refers to the loader (a class loader leak);
 *  - DIRECT direct ByteBuffers of DIRECT_CAPACITY bytes each;
 *  - a finalizer backlog: a Blocker whose finalize() never returns (the
 *    "Finalizer" thread stuck in it) and DOOMED Doomed objects pending in
 *    Finalizer.queue;
 *  - waste: DUPES Strings of one value (DUPE_LENGTH 'd's) and DUPES2 of
 *    another (DUPE2_LENGTH 'e's), each with its own array; SPARSE
 *    HashMaps made with capacity SPARSE_CAPACITY holding SPARSE_SIZE
 *    entries; EMPTY_LISTS ArrayLists made with capacity
 *    EMPTY_LIST_CAPACITY and no element; ZEROS all-zero long[ZERO_LENGTH];
 *    BOXED Doubles (no cache: each a distinct object).
 * Prints "READY <pid>" and sleeps. Take a live dump (jcmd GC.heap_dump).
 */
public class LeakPatterns {
    static final int SESSIONS = 20_000;
    static final int SESSION_BYTES = 1_000;
    static final int CHAIN = 50_000;
    static final int CHAIN_BYTES = 100;
    static final int CANCELLED = 3_000;
    static final int ACTIVE = 5;
    static final int STATEMENT_BYTES = 500;
    static final int POOL = 3;
    static final int LOCAL_BYTES = 200_000;
    static final int DIRECT = 6;
    static final int DIRECT_CAPACITY = 1_234_567;
    static final int DOOMED = 400;
    static final int DUPES = 5_000;
    static final int DUPE_LENGTH = 40;
    static final int DUPES2 = 300;
    static final int DUPE2_LENGTH = 200;
    static final int SPARSE = 1_000;
    static final int SPARSE_CAPACITY = 256;
    static final int SPARSE_SIZE = 2;
    static final int EMPTY_LISTS = 500;
    static final int EMPTY_LIST_CAPACITY = 100;
    static final int ZEROS = 200;
    static final int ZERO_LENGTH = 777;
    static final int BOXED = 10_000;

    static class Registry {
        static final List<Session> SESSIONS = new ArrayList<>();
    }

    static class Session {
        final String id;
        final byte[] data = new byte[SESSION_BYTES];
        Session(int i) {
            id = "session-" + i;
            data[0] = (byte) (i | 1);
        }
    }

    static class Statement {
        final byte[] buffer = new byte[STATEMENT_BYTES];
        @Override protected void finalize() { buffer[0]++; }
    }

    static class CancelTask extends TimerTask {
        final Statement statement = new Statement();
        @Override public void run() { statement.buffer[1]++; }
    }

    static class Big {
        final byte[] bytes = new byte[LOCAL_BYTES];
    }

    /** Loaded a second time by PluginLoader; its instance leaks the loader. */
    public static class Plugin {
        final long[] state = new long[1_000];
        public Plugin() { state[0] = 1; }
    }

    /** Defines Plugin itself instead of asking its parent. */
    static class PluginLoader extends ClassLoader {
        PluginLoader() { super(LeakPatterns.class.getClassLoader()); }

        @Override protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.equals("LeakPatterns$Plugin")) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    try (InputStream in = getParent().getResourceAsStream("LeakPatterns$Plugin.class")) {
                        byte[] bytes = in.readAllBytes();
                        c = defineClass(name, bytes, 0, bytes.length);
                    } catch (java.io.IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                }
                return c;
            }
        }
    }

    static final CountDownLatch blocking = new CountDownLatch(1);

    static class Blocker {
        @Override protected void finalize() throws Throwable {
            blocking.countDown();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    static class Doomed {
        long payload = 0xD00DL;
        @Override protected void finalize() { payload++; }
    }

    static final ThreadLocal<Big> LOCAL = new ThreadLocal<>();
    static final ThreadLocal<Object> PLUGIN = new ThreadLocal<>();

    static final LinkedBlockingQueue<byte[]> chain = new LinkedBlockingQueue<>();
    static Timer timer;
    static final List<TimerTask> ACTIVE_TASKS = new ArrayList<>();
    static ExecutorService pool;
    static ByteBuffer[] direct;
    static String[] duplicates;
    static List<Map<Integer, Integer>> sparse;
    static List<List<Object>> emptyLists;
    static long[][] zeros;
    static Object[] boxed;

    static String repeat(char c, int n) {
        char[] chars = new char[n];
        Arrays.fill(chars, c);
        return new String(chars);
    }

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < SESSIONS; i++) {
            Registry.SESSIONS.add(new Session(i));
        }

        for (int i = 0; i < CHAIN; i++) {
            byte[] b = new byte[CHAIN_BYTES];
            b[0] = 1;
            chain.offer(b);
        }

        // The active tasks first and due first: the timer thread only looks
        // at the head of its queue, so the cancelled ones behind stay there.
        timer = new Timer("LeakTimer", true);
        for (int i = 0; i < ACTIVE; i++) {
            TimerTask task = new CancelTask();
            timer.schedule(task, 3_500_000L + i);
            ACTIVE_TASKS.add(task);
        }
        for (int i = 0; i < CANCELLED; i++) {
            CancelTask task = new CancelTask();
            timer.schedule(task, 3_600_000L + i);
            task.cancel();
        }

        AtomicInteger threadNumber = new AtomicInteger();
        pool = Executors.newFixedThreadPool(POOL, r -> {
            Thread t = new Thread(r, "leak-pool-" + threadNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        Object plugin = new PluginLoader().loadClass("LeakPatterns$Plugin").getDeclaredConstructor().newInstance();
        if (plugin.getClass().getClassLoader() == LeakPatterns.class.getClassLoader()) {
            throw new IllegalStateException("Plugin was not defined by PluginLoader");
        }
        CountDownLatch started = new CountDownLatch(POOL);
        CountDownLatch hold = new CountDownLatch(1);
        for (int i = 0; i < POOL; i++) {
            final boolean first = i == 0;
            final Object value = first ? plugin : null;
            pool.execute(() -> {
                LOCAL.set(new Big());
                if (first) {
                    PLUGIN.set(value);
                }
                started.countDown();
                try {
                    hold.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        plugin = null;
        started.await();
        // Every pool thread holds its value; let them go back to the pool
        // one at a time so that each keeps its own (a thread runs one task).
        hold.countDown();

        direct = new ByteBuffer[DIRECT];
        for (int i = 0; i < DIRECT; i++) {
            direct[i] = ByteBuffer.allocateDirect(DIRECT_CAPACITY);
        }

        duplicates = new String[DUPES + DUPES2];
        for (int i = 0; i < DUPES; i++) {
            duplicates[i] = repeat('d', DUPE_LENGTH);
        }
        for (int i = 0; i < DUPES2; i++) {
            duplicates[DUPES + i] = repeat('e', DUPE2_LENGTH);
        }
        sparse = new ArrayList<>();
        for (int i = 0; i < SPARSE; i++) {
            Map<Integer, Integer> m = new HashMap<>(SPARSE_CAPACITY);
            for (int k = 0; k < SPARSE_SIZE; k++) {
                m.put(k, k);
            }
            sparse.add(m);
        }
        emptyLists = new ArrayList<>();
        for (int i = 0; i < EMPTY_LISTS; i++) {
            emptyLists.add(new ArrayList<>(EMPTY_LIST_CAPACITY));
        }
        zeros = new long[ZEROS][];
        for (int i = 0; i < ZEROS; i++) {
            zeros[i] = new long[ZERO_LENGTH];
        }
        boxed = new Object[BOXED];
        for (int i = 0; i < BOXED; i++) {
            boxed[i] = Double.valueOf(i + 0.5);
        }

        new Blocker();
        for (int i = 0; i < 100 && !blocking.await(100, TimeUnit.MILLISECONDS); i++) {
            System.gc();
        }
        if (blocking.getCount() != 0) {
            throw new IllegalStateException("the finalizer thread did not pick up the blocker");
        }
        for (int i = 0; i < DOOMED; i++) {
            new Doomed();
        }
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        System.out.println("READY " + ProcessHandle.current().pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
