package io.zbmd.supervision;

/** Which children a supervisor restarts when one of them ends and must be restarted. */
public enum Strategy {
    /** Only that child. */
    ONE_FOR_ONE,
    /** All children: the others are stopped (in reverse start order) and all restarted in start order. */
    ONE_FOR_ALL,
    /** That child and the ones started after it. */
    REST_FOR_ONE
}
