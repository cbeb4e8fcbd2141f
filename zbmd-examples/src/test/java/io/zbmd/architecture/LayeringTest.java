package io.zbmd.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps the module arrows pointing one way (core ← gpu ← ml ← cluster ← examples) and
 * zbmd-core light, as docs/architecture.md sets out. Runs where every module is on the
 * class path.
 */
class LayeringTest {
    private static JavaClasses zbmd;

    @BeforeAll
    static void importClasses() {
        zbmd = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                // and zbmd-core's test-jar (test helpers on this module's test classpath)
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("io.zbmd");
    }

    private static final String CORE = "io.zbmd.actor..";
    private static final String[] CORE_PACKAGES = {"io.zbmd.actor..", "io.zbmd.dispatch..", "io.zbmd.supervision..",
        "io.zbmd.fault.."};

    @Test
    void coreDependsOnNoOtherModule() {
        noClasses().that().resideInAnyPackage(CORE_PACKAGES)
                .should().dependOnClassesThat().resideInAnyPackage("io.zbmd.gpu..", "io.zbmd.ml..",
                        "io.zbmd.cluster..", "io.zbmd.examples..", "io.zbmd.bench..")
                .check(zbmd);
    }

    @Test
    void coreUsesOnlyTheJdkJctoolsAgronaAndSlf4j() {
        classes().that().resideInAnyPackage(CORE_PACKAGES)
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "javax.annotation..",
                        "org.jctools..", "org.agrona..", "org.slf4j..", "io.zbmd.actor..", "io.zbmd.dispatch..",
                        "io.zbmd.supervision..", "io.zbmd.fault..")
                .check(zbmd);
    }

    @Test
    void gpuDependsOnlyOnCore() {
        noClasses().that().resideInAPackage("io.zbmd.gpu..")
                .should().dependOnClassesThat().resideInAnyPackage("io.zbmd.ml..", "io.zbmd.cluster..",
                        "io.zbmd.examples..")
                .allowEmptyShould(true)
                .check(zbmd);
    }

    @Test
    void mlDoesNotDependOnClusterOrExamples() {
        noClasses().that().resideInAPackage("io.zbmd.ml..")
                .should().dependOnClassesThat().resideInAnyPackage("io.zbmd.cluster..", "io.zbmd.examples..")
                .allowEmptyShould(true)
                .check(zbmd);
    }

    @Test
    void clusterDoesNotDependOnExamples() {
        noClasses().that().resideInAPackage("io.zbmd.cluster..")
                .should().dependOnClassesThat().resideInAPackage("io.zbmd.examples..")
                .allowEmptyShould(true)
                .check(zbmd);
    }

    @Test
    void onlyCoreUsesCoreInternals() {
        // zbmd-cluster is the exception: it extends the runtime across nodes (a remote actor's
        // ref is a target of system messages), as Pekko's remoting extends its actor system.
        noClasses().that().resideOutsideOfPackages(CORE_PACKAGES).and().resideOutsideOfPackage("io.zbmd.cluster..")
                .should().dependOnClassesThat().resideInAnyPackage("io.zbmd.actor.internal..",
                        "io.zbmd.dispatch.internal..")
                .check(zbmd);
    }

    @Test
    void theClusterUsesOnlyTheRuntimesExtensionPoints() {
        noClasses().that().resideInAPackage("io.zbmd.cluster..")
                .should().dependOnClassesThat(resideInAnyPackage("io.zbmd.actor.internal..", "io.zbmd.dispatch.internal..")
                        .and(not(belongToAnyOf(io.zbmd.actor.internal.Runtime.class,
                                io.zbmd.actor.internal.SystemTarget.class, io.zbmd.actor.internal.Watcher.class,
                                io.zbmd.actor.internal.SystemMessage.class))))
                .allowEmptyShould(true)
                .check(zbmd);
    }

    @Test
    void theActorApiDoesNotLeakInternals() {
        noClasses().that().resideInAPackage(CORE).and().resideOutsideOfPackage("io.zbmd.actor.internal..")
                .and().areNotAssignableTo(io.zbmd.actor.ActorSystem.class)
                .should().dependOnClassesThat().resideInAPackage("io.zbmd.actor.internal..")
                .check(zbmd);
    }
}
