/**
 * Devices as supervised actors: {@link io.zbmd.ml.device.DeviceActor} owns a device's backend
 * (context and queue) on a thread of its own and runs stages sent to it, crashing on a device
 * error so that its restart re-creates the context; {@link io.zbmd.ml.device.DeviceHealth}
 * sends it heartbeats and declares it down with a φ-accrual detector.
 *
 * <p>Here rather than in zbmd-gpu, which stays a library of compute without the actor runtime.
 * Depends on zbmd-core and zbmd-gpu.
 */
package io.zbmd.ml.device;
