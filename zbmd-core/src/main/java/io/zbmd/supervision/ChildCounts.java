package io.zbmd.supervision;

/**
 * A supervisor's children counted, as OTP's {@code count_children}.
 *
 * @param specs child specifications held
 * @param active children running
 * @param supervisors children of kind supervisor
 * @param workers children of kind worker
 */
public record ChildCounts(int specs, int active, int supervisors, int workers) {}
