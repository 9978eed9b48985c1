// The MSBuild task of Directory.Build.targets' RestoreLocalDotnetTools (compiled by RoslynCodeTaskFactory): `dotnet tool restore`
// once per clone, before Paket runs. Projects build in parallel and two builds may run at once in the same clone, so the restore
// runs under an exclusive lock on obj/.tools-restore.lock; whoever gets the lock second finds the marker obj/.tools-restored and
// returns at once.
using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using Microsoft.Build.Framework;

public class AutoDiffRnnRestoreDotnetToolsOnce : Microsoft.Build.Utilities.Task
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(10);

    [Required] public string RepositoryRoot { get; set; } = "";

    public override bool Execute()
    {
        string folder = Path.Combine(RepositoryRoot, "obj");
        Directory.CreateDirectory(folder);
        string marker = Path.Combine(folder, ".tools-restored");
        string lockPath = Path.Combine(folder, ".tools-restore.lock");
        using (var gate = AcquireLock(lockPath))
        {
            if (gate is null)
            {
                Log.LogError($"dotnet tool restore: could not lock {lockPath} within {LockTimeout.TotalMinutes} minutes (another build holds it)");
                return false;
            }
            if (File.Exists(marker)) return true;
            Log.LogMessage(MessageImportance.High, "Restoring the local dotnet tools (.config/dotnet-tools.json), once per clone");
            string output = "";
            for (int attempt = 1; attempt <= 2; attempt++)
            {
                int exitCode = Run("dotnet", "tool restore", out output);
                if (exitCode == 0)
                {
                    File.WriteAllText(marker, DateTime.UtcNow.ToString("o"));
                    return true;
                }
                Log.LogMessage(MessageImportance.High, $"dotnet tool restore exited with {exitCode} (attempt {attempt} of 2)");
            }
            Log.LogError($"dotnet tool restore failed in {RepositoryRoot}: {output.Trim()}");
            return false;
        }
    }

    private int Run(string file, string arguments, out string output)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = RepositoryRoot, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var standardError = process.StandardError.ReadToEndAsync();
        string standardOutput = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        output = standardOutput + standardError.Result;
        return process.ExitCode;
    }

    // An exclusive FileStream is an OS-level lock (flock on Unix, a share mode on Windows): it ends with the process that holds it.
    private static FileStream? AcquireLock(string path)
    {
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { Thread.Sleep(250); }
            catch (IOException) { return null; }
        }
    }
}
