import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Every state a finalizable object can be in, with known counts, for
 * heapscope's finalizer tests (JDK 17 and 25):
 *  - REACHABLE Reachable objects, strongly held: registered;
 *  - one Blocker whose finalize() never returns: in processing, and the
 *    "Finalizer" thread stuck in it;
 *  - DOOMED Doomed objects dropped before a GC: pending in Finalizer.queue
 *    (the blocked finalizer thread never takes them);
 *  - LATE LateDoomed objects dropped after the last GC: still registered
 *    but not strongly reachable in a "-all" dump; on the VM pending list
 *    in a live dump (the dump's own GC discovers them);
 *  - EMPTY EmptyFinalize objects, whose empty finalize() HotSpot ignores:
 *    no Finalizer at all.
 * Prints "READY <pid>" and sleeps. Take the "-all" dump before any live
 * dump or histogram: their GC changes the late objects' state.
 */
public class FinalizerStates {
    static final int REACHABLE = 1000;
    static final int DOOMED = 500;
    static final int LATE = 200;
    static final int EMPTY = 10;

    static final CountDownLatch blocking = new CountDownLatch(1);
    static volatile int finalized;

    static class Reachable {
        final int id;
        Reachable(int id) { this.id = id; }
        @Override protected void finalize() { finalized++; }
    }

    static class Doomed {
        final long payload = 0xD00DL;
        @Override protected void finalize() { finalized++; }
    }

    static class LateDoomed {
        final int[] payload = new int[16];
        @Override protected void finalize() { finalized++; }
    }

    static class EmptyFinalize {
        @Override protected void finalize() { }
    }

    static class Blocker {
        @Override protected void finalize() throws Throwable {
            blocking.countDown();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    static final List<Object> KEEP = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < REACHABLE; i++) {
            KEEP.add(new Reachable(i));
        }
        for (int i = 0; i < EMPTY; i++) {
            KEEP.add(new EmptyFinalize());
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
        for (int i = 0; i < LATE; i++) {
            new LateDoomed();
        }
        System.out.println("READY " + ProcessHandle.current().pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
