package org.softmaxcl.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/** Runs one worker on the caller's thread and on pool threads beside it (the CPU backend's and {@link HostCopy}'s way). */
final class Workers {
    private Workers() {
    }

    /**
     * Runs {@code worker} on the caller's thread and offers it to {@code parts − 1} threads of
     * {@code pool}, and returns when every copy that started has finished, even when the caller
     * is interrupted meanwhile (a call never returns while a worker may still write the caller's
     * outputs; the interrupt status is kept). A copy that has not started when the caller's own
     * copy returns never runs: the caller does not wait for a pool thread to wake up only to find
     * no work left (on a 2-vCPU VM a parked pool thread took 58 µs to start, median, 114 µs at the
     * 90th percentile, and 2 threads were slower than 1 on calls of up to about a million elements). So {@code worker} must take its work from a
     * shared source and finish it all when run once, on whatever number of threads. The first
     * failure is thrown: a RuntimeException or Error as it is, any other wrapped in an
     * IllegalStateException.
     *
     * @param pool  the pool (may be null when parts ≤ 1)
     * @param parts the number of threads, the caller's included
     */
    static void run(ExecutorService pool, int parts, Runnable worker) {
        List<Offer> offers = new ArrayList<>(Math.max(0, parts - 1));
        for (int p = 1; p < parts; p++) {
            Offer o = new Offer(worker);
            o.future = pool.submit(o);
            offers.add(o);
        }
        Throwable first = null;
        try {
            worker.run();
        } catch (RuntimeException | Error e) {
            first = e;
        }
        boolean interrupted = false;
        for (Offer o : offers) {
            if (o.state.compareAndSet(Offer.PENDING, Offer.WITHDRAWN)) {
                continue;   // never started, and now never will
            }
            while (true) {
                try {
                    o.future.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (first == null) {
                        first = e.getCause();
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (first instanceof RuntimeException) {
            throw (RuntimeException) first;
        }
        if (first instanceof Error) {
            throw (Error) first;
        }
        if (first != null) {
            throw new IllegalStateException(first);
        }
    }

    /** A copy of a worker offered to a pool thread: it runs only if it starts before the caller withdraws it. */
    private static final class Offer implements Runnable {
        static final int PENDING = 0;
        static final int STARTED = 1;
        static final int WITHDRAWN = 2;
        final AtomicInteger state = new AtomicInteger(PENDING);
        final Runnable worker;
        Future<?> future;

        Offer(Runnable worker) {
            this.worker = worker;
        }

        @Override
        public void run() {
            if (state.compareAndSet(PENDING, STARTED)) {
                worker.run();
            }
        }
    }
}
