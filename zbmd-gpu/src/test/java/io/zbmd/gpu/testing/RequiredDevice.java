package io.zbmd.gpu.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * For tests of a device backend: in CI, which installs the drivers that run devices on the CPU,
 * a missing device fails the test; elsewhere it skips it.
 */
public final class RequiredDevice {
    private RequiredDevice() {}

    /**
     * @param kind "OpenCL", "Vulkan"
     * @param present whether a device of that kind was found
     * @param debianPackage what provides one on the CPU, for the message
     */
    public static void require(String kind, boolean present, String debianPackage) {
        if (!present && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI installs " + debianPackage + ", but no " + kind + " device was found");
        }
        assumeTrue(present, "no " + kind + " device here: install " + debianPackage + " to run these");
    }
}
