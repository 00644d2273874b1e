package org.softmaxcl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmaxcl.testing.BackendTest;
import org.softmaxcl.testing.BadCalls;
import org.softmaxcl.testing.BadCalls.BadCall;
import org.softmaxcl.testing.Backends;
import org.softmaxcl.testing.Scene;
import org.softmaxcl.testing.Views;

/**
 * The README's validation table, engine half: every refused call of {@link BadCalls} throws the
 * documented exception whose message names the argument, row and value, and leaves every array
 * and buffer of the caller byte for byte as it was (inputs and outputs, padding included), in a
 * dense array layout and in a strided direct-buffer layout. Calls on a closed engine throw
 * {@link IllegalStateException} and write nothing either.
 */
abstract class Validation extends BackendTest {

    Stream<Arguments> cases() {
        return backends().stream().flatMap(b -> BadCalls.all().stream()
                .flatMap(c -> Stream.of(Views.DENSE, Views.DIRECT_STRIDED).map(v -> Arguments.of(b, c, v))));
    }

    @ParameterizedTest(name = "{0} {2} {1}")
    @MethodSource("cases")
    void isRefusedAndWritesNothing(Backends backend, BadCall bad, Views layout) {
        Scene scene = new Scene(layout, bad.toString().hashCode());
        Consumer<Engine> call = bad.setup().prepare(scene);
        scene.seal();
        assertThatThrownBy(() -> call.accept(backend.engine())).isInstanceOf(bad.type())
                .hasMessageContainingAll(bad.message().toArray(String[]::new));
        scene.assertUntouched();
    }

    Stream<Arguments> closedCases() {
        return backends().stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("closedCases")
    void aClosedEngineRefusesEveryCallAndWritesNothing(Backends backend) {
        Engine e = Engine.over(backend.newBackend());
        e.close();
        Scene s = new Scene(Views.DENSE, 5);
        int n = BadCalls.N;
        int k = BadCalls.K;
        FloatMatrix x = s.logits(n, k);
        FloatMatrix out = s.output(n, k);
        Targets t = Targets.hard(s.targets(n, k));
        s.seal();
        List<Runnable> calls = List.of(
                () -> e.softmax(x, out), () -> e.logSoftmax(x, out), () -> e.softmaxBackward(x, x, out),
                () -> e.logSoftmaxBackward(x, x, out), () -> e.crossEntropy(x, t),
                () -> e.crossEntropyWithGradient(x, t, XentOptions.DEFAULTS, out), () -> e.softmax(x.toArray(), n, k));
        for (Runnable c : calls) {
            assertThatThrownBy(c::run).isInstanceOf(IllegalStateException.class).hasMessage("engine is closed");
        }
        s.assertUntouched();
        assertThat(e.report().kind()).isEqualTo(backend.isOpenCl() ? BackendKind.OPENCL : BackendKind.CPU);
        e.close();
    }
}
