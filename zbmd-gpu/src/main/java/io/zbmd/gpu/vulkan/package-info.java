/**
 * Vulkan devices, through LWJGL (optional dependencies): {@link io.zbmd.gpu.vulkan.VulkanContext}
 * opens a device for compute (a queue, pipelines compiled from GLSL by shaderc at run time,
 * device memory for a pool). The Vulkan backend is built on it; until it implements every
 * operation and passes the conformance suite, it is not among the permitted backends.
 *
 * <p>Depends on LWJGL (core, Vulkan, shaderc) and SLF4J.
 */
package io.zbmd.gpu.vulkan;
