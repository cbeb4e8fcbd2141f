package io.zbmd.actor;

/**
 * An actor crashed: published on {@link ActorSystem#events()} once per crash, when the crash
 * report is logged.
 *
 * @param actor the actor's path
 * @param cause the exception
 * @param message the message being handled, or null if it crashed outside a message
 */
public record CrashReport(String actor, Throwable cause, Object message) {}
