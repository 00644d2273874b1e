package org.softmaxcl.cli;

import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The exit statuses of the command line (a contract, see DESIGN.md) and the picocli handlers that
 * map exceptions onto them, each with a one-line message on stderr:
 *
 * <ul>
 *   <li>{@link #OK} 0: success;</li>
 *   <li>{@link #FAILURE} 1: any other failure (an I/O error while writing, OpenCL asked for and
 *       not available, a bug); the stack trace is printed too when the system property
 *       {@code softmaxcl.debug} is set;</li>
 *   <li>{@link #USAGE} 2: bad usage or bad input: picocli's parameter errors, {@link
 *       UsageException}, {@link IllegalArgumentException} from the library (which names the
 *       argument, row and value; {@link Npy.NpyFormatException} is one), a missing input file.</li>
 * </ul>
 */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;

    private ExitCodes() {
    }

    /** Installs both handlers on {@code cl} (and so on its subcommands). */
    static void install(CommandLine cl) {
        cl.setParameterExceptionHandler(ExitCodes::onParameterException);
        cl.setExecutionExceptionHandler(ExitCodes::onExecutionException);
    }

    private static int onParameterException(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        String name = cl.getCommandSpec().qualifiedName();
        PrintWriter err = cl.getErr();
        err.println(name + ": " + oneLine(ex.getMessage()) + " (see '" + name + " --help')");
        err.flush();
        return USAGE;
    }

    private static int onExecutionException(Exception ex, CommandLine cl, ParseResult parsed) {
        PrintWriter err = cl.getErr();
        int code = exitCode(ex);
        err.println(cl.getCommandSpec().qualifiedName() + ": " + message(ex, code));
        if (code == FAILURE && System.getProperty("softmaxcl.debug") != null) {
            ex.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    /** 2 for bad usage or input, 1 for anything else. */
    static int exitCode(Throwable ex) {
        if (ex instanceof UsageException || ex instanceof IllegalArgumentException
                || ex instanceof NoSuchFileException) {
            return USAGE;
        }
        return FAILURE;
    }

    static String message(Throwable ex, int code) {
        String m = ex.getMessage();
        if (ex instanceof NoSuchFileException) {
            return "no such file: " + m;
        }
        if (ex instanceof AccessDeniedException || ex instanceof FileSystemException) {
            return "error: " + ex.getClass().getSimpleName() + ": " + oneLine(m);
        }
        if (code == USAGE) {
            return oneLine(m);
        }
        return "error: " + (m == null ? ex.getClass().getName() : ex.getClass().getSimpleName() + ": " + oneLine(m));
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replace("\r", "").replace('\n', ' ').trim();
    }
}
