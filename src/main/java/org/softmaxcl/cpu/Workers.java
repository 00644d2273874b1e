package org.softmaxcl.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/** Runs one worker on the caller's thread and on pool threads beside it (the CPU backend's and {@link HostCopy}'s way). */
final class Workers {
    private Workers() {
    }

    /**
     * Runs {@code worker} on {@code parts − 1} threads of {@code pool} and on the caller's thread,
     * and returns when every copy has finished, even when the caller is interrupted meanwhile (a
     * call never returns while a worker may still write the caller's outputs; the interrupt
     * status is kept). The first failure is thrown: a RuntimeException or Error as it is, any
     * other wrapped in an IllegalStateException.
     *
     * @param pool  the pool (may be null when parts ≤ 1)
     * @param parts the number of threads, the caller's included
     */
    static void run(ExecutorService pool, int parts, Runnable worker) {
        List<Future<?>> futures = new ArrayList<>(Math.max(0, parts - 1));
        for (int p = 1; p < parts; p++) {
            futures.add(pool.submit(worker));
        }
        Throwable first = null;
        try {
            worker.run();
        } catch (RuntimeException | Error e) {
            first = e;
        }
        boolean interrupted = false;
        for (Future<?> f : futures) {
            while (true) {
                try {
                    f.get();
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
}
