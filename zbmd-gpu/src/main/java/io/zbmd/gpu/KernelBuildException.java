package io.zbmd.gpu;

/**
 * A device program (an OpenCL kernel, a Vulkan shader) that does not build; the message and
 * {@link #log()} carry the compiler's log.
 */
public final class KernelBuildException extends DeviceException {
    private static final long serialVersionUID = 1L;

    private final String log;

    /**
     * @param message what failed, on which device, with the log
     * @param log the compiler's log
     */
    public KernelBuildException(String message, String log) {
        super(message);
        this.log = log;
    }

    /** @return the compiler's log */
    public String log() {
        return log;
    }
}
