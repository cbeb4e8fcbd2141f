package io.zbmd.gpu;

/**
 * A device failed while running a kernel or copying memory (a lost device, an ECC error, a
 * driver fault). Thrown like any failure, so that a supervisor can retry, migrate or
 * escalate.
 */
public class DeviceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, on which device */
    public DeviceException(String message) {
        super(message);
    }

    /**
     * @param message what failed, on which device
     * @param cause the driver's error
     */
    public DeviceException(String message, Throwable cause) {
        super(message, cause);
    }
}
