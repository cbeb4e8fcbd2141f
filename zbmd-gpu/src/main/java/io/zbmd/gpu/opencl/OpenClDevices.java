package io.zbmd.gpu.opencl;

import static org.jocl.CL.CL_DEVICE_GLOBAL_MEM_SIZE;
import static org.jocl.CL.CL_DEVICE_MAX_COMPUTE_UNITS;
import static org.jocl.CL.CL_DEVICE_NAME;
import static org.jocl.CL.CL_DEVICE_TYPE;
import static org.jocl.CL.CL_DEVICE_TYPE_ALL;
import static org.jocl.CL.CL_DEVICE_TYPE_GPU;
import static org.jocl.CL.CL_PLATFORM_NAME;

import java.util.ArrayList;
import java.util.List;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenCL devices of this machine, as the installed drivers (ICDs) report them: none when
 * JOCL is not on the class path, when no OpenCL loader or driver is installed, or when the
 * driver reports no device. On a machine without a GPU, Debian's {@code pocl-opencl-icd} offers
 * the CPU as an OpenCL device.
 */
public final class OpenClDevices {
    private static final Logger LOG = LoggerFactory.getLogger(OpenClDevices.class);

    private OpenClDevices() {}

    /**
     * One OpenCL device.
     *
     * @param index its place in {@link #list()}, how users name it ({@code opencl:0})
     * @param platform the driver's name, such as "Portable Computing Language"
     * @param name the device's name
     * @param gpu whether the driver calls it a GPU
     * @param globalMemoryBytes its memory
     * @param computeUnits its compute units
     */
    public record Info(int index, String platform, String name, boolean gpu, long globalMemoryBytes,
            int computeUnits) {
        @Override
        public String toString() {
            return "opencl:" + index + " " + name + " (" + platform + ", " + computeUnits + " compute units, "
                    + (globalMemoryBytes >> 20) + " MiB)";
        }
    }

    /** @return whether JOCL, the OpenCL binding, is on the class path */
    public static boolean bindingPresent() {
        try {
            Class.forName("org.jocl.CL", false, OpenClDevices.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** @return the devices found, GPUs of each platform first; empty where OpenCL is absent */
    public static List<Info> list() {
        if (!bindingPresent()) {
            return List.of();
        }
        try {
            return Probe.devices().stream().map(Probe.Found::info).toList();
        } catch (LinkageError | CLException e) {
            // No OpenCL loader: JOCL's class initialisation fails (ExceptionInInitializerError
            // around an UnsatisfiedLinkError), and every later use with NoClassDefFoundError.
            LOG.debug("no OpenCL: {}", e.toString());
            return List.of();
        }
    }

    /** JOCL calls, in a class of their own so that {@link #list()} runs without JOCL. */
    static final class Probe {
        record Found(Info info, cl_platform_id platform, cl_device_id device) {}

        private Probe() {}

        static List<Found> devices() {
            CL.setExceptionsEnabled(true);
            int[] count = new int[1];
            try {
                CL.clGetPlatformIDs(0, null, count);
            } catch (CLException e) {
                return List.of(); // CL_PLATFORM_NOT_FOUND_KHR: a loader without any driver
            }
            cl_platform_id[] platforms = new cl_platform_id[count[0]];
            CL.clGetPlatformIDs(platforms.length, platforms, null);
            List<Found> found = new ArrayList<>();
            for (cl_platform_id platform : platforms) {
                int[] devices = new int[1];
                try {
                    CL.clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, null, devices);
                } catch (CLException e) {
                    continue; // CL_DEVICE_NOT_FOUND
                }
                cl_device_id[] ids = new cl_device_id[devices[0]];
                CL.clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, ids.length, ids, null);
                List<Found> ofPlatform = new ArrayList<>();
                for (cl_device_id id : ids) {
                    boolean gpu = (longInfo(id, CL_DEVICE_TYPE) & CL_DEVICE_TYPE_GPU) != 0;
                    ofPlatform.add(new Found(new Info(0, platformName(platform), stringInfo(id, CL_DEVICE_NAME), gpu,
                            longInfo(id, CL_DEVICE_GLOBAL_MEM_SIZE), (int) intInfo(id, CL_DEVICE_MAX_COMPUTE_UNITS)),
                            platform, id));
                }
                ofPlatform.sort((a, b) -> Boolean.compare(b.info().gpu(), a.info().gpu()));
                found.addAll(ofPlatform);
            }
            List<Found> indexed = new ArrayList<>();
            for (int i = 0; i < found.size(); i++) {
                Info info = found.get(i).info();
                indexed.add(new Found(new Info(i, info.platform(), info.name(), info.gpu(), info.globalMemoryBytes(),
                        info.computeUnits()), found.get(i).platform(), found.get(i).device()));
            }
            return indexed;
        }

        private static String platformName(cl_platform_id platform) {
            long[] size = new long[1];
            CL.clGetPlatformInfo(platform, CL_PLATFORM_NAME, 0, null, size);
            byte[] bytes = new byte[(int) size[0]];
            CL.clGetPlatformInfo(platform, CL_PLATFORM_NAME, bytes.length, Pointer.to(bytes), null);
            return cString(bytes);
        }

        private static String stringInfo(cl_device_id device, int param) {
            long[] size = new long[1];
            CL.clGetDeviceInfo(device, param, 0, null, size);
            byte[] bytes = new byte[(int) size[0]];
            CL.clGetDeviceInfo(device, param, bytes.length, Pointer.to(bytes), null);
            return cString(bytes);
        }

        private static long longInfo(cl_device_id device, int param) {
            long[] value = new long[1];
            CL.clGetDeviceInfo(device, param, Sizeof.cl_long, Pointer.to(value), null);
            return value[0];
        }

        private static long intInfo(cl_device_id device, int param) {
            int[] value = new int[1];
            CL.clGetDeviceInfo(device, param, Sizeof.cl_int, Pointer.to(value), null);
            return value[0];
        }

        private static String cString(byte[] bytes) {
            int end = 0;
            while (end < bytes.length && bytes[end] != 0) {
                end++;
            }
            return new String(bytes, 0, end, java.nio.charset.StandardCharsets.UTF_8).strip();
        }
    }
}
