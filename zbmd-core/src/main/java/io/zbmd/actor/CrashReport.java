package io.zbmd.actor;

/**
 * An actor crashed: published on {@link ActorSystem#events()} once per crash, when the crash
 * report is logged.
 *
 * @param actor the actor's path
 * @param cause the exception
 * @param message the message being handled, or null if it crashed outside a message
 * @param supervisor the path of its supervisor, or null if it is not supervised
 * @param childId its id under that supervisor, or null
 * @param restarts how many times its supervisor had restarted it before this crash
 */
public record CrashReport(String actor, Throwable cause, Object message, String supervisor, String childId, int restarts) {}
