package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.testing.BackendTest;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.Data;
import org.softmaxcl.testing.Views;
import org.softmaxcl.testing.XentCase;

/**
 * Eight threads sharing one engine, each running a mix of calls (cross-entropy under five option
 * sets that together use every option, hard and soft targets, softmax, log-softmax, both backward
 * passes; K from 1 to 2000, array and direct-buffer layouts, in place and not) in its own order,
 * twice, get exactly the bits a serial run gets, refusals included. And {@link Engine#close()} racing with calls in flight: every call
 * either completes with the serial run's bits or throws {@link IllegalStateException} "engine is
 * closed"; nothing else is thrown, nothing crashes.
 */
abstract class Concurrency extends BackendTest {
    static final int THREADS = 8;

    /** A call whose whole outcome (output bits, loss bits, or the refusal's message) is a string. */
    interface Task {
        String run(Engine e);
    }

    /** Option sets of the cross-entropy tasks (few, so that OpenCL builds few kernel variants). */
    static List<XentOptions> optionSets(int n, int k, Data d) {
        return List.of(
                XentOptions.DEFAULTS,
                XentOptions.builder().reduction(Reduction.SUM).labelSmoothing(0.1f).classWeights(d.uniforms(k, 0.2, 2)).build(),
                XentOptions.builder().reduction(Reduction.NONE).rowStats(true).temperature(0.7f).build(),
                XentOptions.builder().rowTemperatures(d.uniforms(n, 0.5, 2)).sampleWeights(d.uniforms(n, 0, 2))
                        .zLoss(1e-3f).softcap(15f).build(),
                XentOptions.builder().ignoreIndex(1).gradScale(-0.5f).emptyMean(EmptyMeanPolicy.NAN).build());
    }

    static List<Task> tasks() {
        List<Task> tasks = new ArrayList<>();
        Views[] layouts = Views.values();
        Data d = new Data(7);
        int v = 0;
        for (int k : new int[] {3, 40, 300}) {
            for (int s = 0; s < 5; s++) {
                int n = 1 + d.nextInt(0, 30);
                boolean soft = s == 2;
                XentOptions o = optionSets(n, k, d).get(s);
                float[] x = d.logits(n, k, 3);
                if (v % 4 == 3) {
                    x[d.nextInt(0, n * k - 1)] = Float.NaN;      // refused: the same refusal in every run
                }
                XentCase c = new XentCase("task " + v, n, k, x, soft ? null : d.targets(n, k, 0.1, o.ignoreIndex()),
                        soft ? d.softTargets(n, k) : null, o);
                Views layout = layouts[v++ % layouts.length];
                tasks.add(e -> outcome(() -> {
                    XentCase.Outcome out = c.run(e, layout, true);
                    return Arrays.toString(bits(out.grad())) + Double.doubleToRawLongBits(out.result().loss())
                            + Arrays.toString(bits(out.result().rowLosses()));
                }));
            }
        }
        int[] ks = {1, 3, 16, 33, 250, 2000};
        for (int i = 0; i < ks.length * 2; i++) {
            int k = ks[i % ks.length];
            int n = 1 + d.nextInt(0, 40);
            float[] x = d.logits(n, k, 3);
            float[] g = d.logits(n, k, 1);
            boolean log = i % 2 == 1;
            boolean inPlace = i % 3 == 0;
            Views layout = layouts[i % layouts.length];
            SoftmaxOptions o = SoftmaxOptions.temperature(0.5f + i * 0.25f);
            tasks.add(e -> outcome(() -> {
                var in = layout.of(x, n, k);
                var out = inPlace ? in : layout.filled(n, k, Float.NaN);
                if (log) {
                    e.logSoftmax(in, out, o);
                } else {
                    e.softmax(in, out, o);
                }
                var go = layout.of(g, n, k);
                var dx = inPlace ? go : layout.filled(n, k, Float.NaN);
                if (log) {
                    e.logSoftmaxBackward(out, go, dx);
                } else {
                    e.softmaxBackward(out, go, dx);
                }
                return Arrays.toString(bits(out.toArray())) + Arrays.toString(bits(dx.toArray()));
            }));
        }
        return tasks;
    }

    private static String outcome(java.util.function.Supplier<String> call) {
        try {
            return call.get();
        } catch (IllegalArgumentException e) {
            return "refused: " + e.getMessage();
        }
    }

    static int[] bits(float[] v) {
        if (v == null) {
            return null;
        }
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Float.floatToRawIntBits(v[i]);
        }
        return b;
    }

    Stream<Arguments> backendList() {
        return backends().stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backendList")
    void eightThreadsOnOneEngineGetTheSerialBits(Backends backend) throws InterruptedException {
        List<Task> tasks = tasks();
        Engine e = backend.engine();
        List<String> serial = new ArrayList<>();
        for (Task t : tasks) {
            serial.add(t.run(e));
        }
        assertThat(serial).as("some calls are refused (a NaN logit), most are not")
                .anyMatch(s -> s.startsWith("refused")).anyMatch(s -> !s.startsWith("refused"));
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger done = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int th = 0; th < THREADS; th++) {
            List<Integer> order = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < tasks.size(); i++) {
                    order.add(i);
                }
            }
            Collections.shuffle(order, new Random(th));
            Thread t = new Thread(() -> {
                try {
                    start.await();
                    for (int i : order) {
                        String got = tasks.get(i).run(e);
                        if (!got.equals(serial.get(i))) {
                            failures.add("task " + i + " differs from the serial run");
                        }
                        done.incrementAndGet();
                    }
                } catch (Throwable x) {
                    failures.add(x.toString());
                }
            });
            threads.add(t);
            t.start();
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).isEmpty();
        assertThat(done.get()).isEqualTo(THREADS * 2 * tasks.size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backendList")
    void closeRacingWithCallsInFlight(Backends backend) throws InterruptedException {
        List<Task> tasks = tasks();
        List<String> serial = new ArrayList<>();
        Engine reference = backend.engine();
        for (Task t : tasks) {
            serial.add(t.run(reference));
        }
        for (int attempt = 0; attempt < 3; attempt++) {
            Engine e = Engine.over(backend.newBackend());
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger completed = new AtomicInteger();
            AtomicInteger closedSeen = new AtomicInteger();
            CountDownLatch running = new CountDownLatch(THREADS);
            List<Thread> threads = new ArrayList<>();
            for (int th = 0; th < THREADS; th++) {
                int seed = th;
                Thread t = new Thread(() -> {
                    Random r = new Random(seed);
                    running.countDown();
                    while (true) {
                        int i = r.nextInt(tasks.size());
                        String got;
                        try {
                            got = tasks.get(i).run(e);
                        } catch (IllegalStateException x) {
                            if (!"engine is closed".equals(x.getMessage())) {
                                failures.add(x.toString());
                            }
                            closedSeen.incrementAndGet();
                            return;
                        } catch (Throwable x) {
                            failures.add(x.toString());
                            return;
                        }
                        if (!got.equals(serial.get(i))) {
                            failures.add("task " + i + " differs from the serial run");
                        }
                        completed.incrementAndGet();
                    }
                });
                threads.add(t);
                t.start();
            }
            running.await();
            // Close once calls are flowing (kernels built), at a different moment each attempt.
            while (completed.get() < 1 + 4 * attempt && failures.isEmpty() && closedSeen.get() == 0) {
                Thread.sleep(1);
            }
            Thread.sleep(10L * attempt);
            e.close();
            for (Thread t : threads) {
                t.join();
            }
            assertThat(failures).as("attempt %d", attempt).isEmpty();
            assertThat(closedSeen.get()).as("every thread met the closed engine").isEqualTo(THREADS);
            assertThat(completed.get()).as("calls completed before the close").isPositive();
        }
    }
}
