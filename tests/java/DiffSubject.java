import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Dumps itself twice with known growth between the dumps, for heapscope's
 * comparison tests:
 *  - REGISTRY, an ArrayList in a static field, holds BASE Items at the first
 *    dump and BASE + GROWN at the second: GROWN more Items, each with its
 *    own byte[PAYLOAD];
 *  - the finalizer thread is stuck in a Blocker's finalize(), so dropped
 *    Doomed objects stay pending in Finalizer.queue: PENDING_BEFORE at the
 *    first dump, PENDING_BEFORE + PENDING_MORE at the second.
 * Usage: java DiffSubject BEFORE.hprof AFTER.hprof (live dumps, written by
 * the JVM's own HotSpotDiagnosticMXBean). Prints "DONE" at the end.
 */
public class DiffSubject {
    static final int BASE = 5_000;
    static final int GROWN = 20_000;
    static final int PAYLOAD = 100;
    static final int PENDING_BEFORE = 100;
    static final int PENDING_MORE = 300;

    static final CountDownLatch blocking = new CountDownLatch(1);
    static volatile int finalized;

    static final class Item {
        final int id;
        final byte[] payload = new byte[PAYLOAD];
        Item(int id) { this.id = id; }
    }

    static final class Doomed {
        final long payload = 0xD00DL;
        @Override protected void finalize() { finalized++; }
    }

    static final class Blocker {
        @Override protected void finalize() throws Throwable {
            blocking.countDown();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    static final List<Item> REGISTRY = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: java DiffSubject BEFORE.hprof AFTER.hprof");
            System.exit(2);
        }
        HotSpotDiagnosticMXBean bean =
                ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        for (int i = 0; i < BASE; i++) {
            REGISTRY.add(new Item(i));
        }
        new Blocker();
        for (int i = 0; i < 100 && !blocking.await(100, TimeUnit.MILLISECONDS); i++) {
            System.gc();
        }
        if (blocking.getCount() != 0) {
            throw new IllegalStateException("the finalizer thread did not pick up the blocker");
        }
        doom(PENDING_BEFORE);
        bean.dumpHeap(args[0], true);

        for (int i = 0; i < GROWN; i++) {
            REGISTRY.add(new Item(BASE + i));
        }
        doom(PENDING_MORE);
        bean.dumpHeap(args[1], true);
        System.out.println("DONE " + REGISTRY.size() + " items, " + finalized + " finalized");
    }

    /** Drops n finalizable objects and lets GCs queue them for finalization. */
    static void doom(int n) throws InterruptedException {
        for (int i = 0; i < n; i++) {
            new Doomed();
        }
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
    }
}
