/**
 * The supervisor actor and its command protocol. Not an API. Depends on
 * {@code io.zbmd.supervision}, {@code io.zbmd.actor} and the cell hooks of
 * {@code io.zbmd.actor.internal.SupervisionSupport}.
 */
package io.zbmd.supervision.internal;
