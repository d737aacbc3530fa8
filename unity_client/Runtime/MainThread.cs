// Unity objects (Texture2D, Sprite) may only be created on the main thread. gRPC responses arrive
// on worker threads, so the client runs the network part off the main thread and hands the
// texture creation to Unity's SynchronizationContext, captured here at startup (player) and on
// every domain load (editor).
using System;
using System.Threading;
using System.Threading.Tasks;
using UnityEngine;

namespace AssetGen.Client
{
    public static class MainThread
    {
        static SynchronizationContext context;
        static int threadId = -1;

        [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.SubsystemRegistration)]
        static void CaptureForPlayer()
        {
            Capture();
        }

#if UNITY_EDITOR
        [UnityEditor.InitializeOnLoadMethod]
        static void CaptureForEditor()
        {
            Capture();
        }
#endif

        static void Capture()
        {
            if (SynchronizationContext.Current == null) return;  // not Unity's main thread context
            context = SynchronizationContext.Current;
            threadId = Thread.CurrentThread.ManagedThreadId;
        }

        public static bool IsMainThread
        {
            get { return threadId >= 0 && Thread.CurrentThread.ManagedThreadId == threadId; }
        }

        /// <summary>Throws with what to do when Unity objects are touched from a worker thread.</summary>
        public static void Require(string what)
        {
            if (!IsMainThread)
                throw new InvalidOperationException(what + " must run on Unity's main thread; await the client's *Async " +
                                                    "methods from a MonoBehaviour or use MainThread.RunAsync");
        }

        /// <summary>Run <paramref name="work"/> on the main thread (inline when already there).</summary>
        public static Task<T> RunAsync<T>(Func<T> work)
        {
            if (IsMainThread)
            {
                try { return Task.FromResult(work()); }
                catch (Exception e) { return FromException<T>(e); }
            }
            if (context == null)
                return FromException<T>(new InvalidOperationException("MainThread has no Unity SynchronizationContext yet; " +
                                                                       "create clients after the first scene loads"));
            var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            context.Post(state =>
            {
                try { done.SetResult(work()); }
                catch (Exception e) { done.SetException(e); }
            }, null);
            return done.Task;
        }

        /// <summary>Fire and forget on the main thread; exceptions go to the Unity console.</summary>
        public static void Post(Action action)
        {
            if (IsMainThread || context == null)
            {
                Invoke(action);
                return;
            }
            context.Post(state => Invoke(action), null);
        }

        static void Invoke(Action action)
        {
            try { action(); }
            catch (Exception e) { Debug.LogException(e); }
        }

        static Task<T> FromException<T>(Exception e)
        {
            var failed = new TaskCompletionSource<T>();
            failed.SetException(e);
            return failed.Task;
        }
    }
}
