package io.zbmd.ml.nn;

import io.zbmd.ml.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/** Modules applied in order; their parameters are named by position ({@code 0.weight}), as PyTorch's. */
public final class Sequential extends Module {
    private final List<Module> modules = new ArrayList<>();

    /** @param modules the layers, in order */
    public Sequential(Module... modules) {
        for (Module module : modules) {
            this.modules.add(child(Integer.toString(this.modules.size()), module));
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor y = x;
        for (Module module : modules) {
            y = module.forward(y);
        }
        return y;
    }

    /** @return the layers */
    public List<Module> modules() {
        return List.copyOf(modules);
    }
}
