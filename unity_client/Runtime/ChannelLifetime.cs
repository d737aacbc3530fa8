// Open gRPC channels keep HTTP/2 connections (and YetAnotherHttpHandler's native runtime) alive;
// left open when play mode ends or scripts reload, they make the editor hang. Every client
// registers here and is disposed when its scope ends:
//   play-mode clients  - on EditorApplication.playModeStateChanged(ExitingPlayMode) and Application.quitting
//   editor clients     - on AssemblyReloadEvents.beforeAssemblyReload and EditorApplication.quitting
using System;
using System.Collections.Generic;
using UnityEngine;

namespace AssetGen.Client
{
    public static class ChannelLifetime
    {
        static readonly object gate = new object();
        static readonly List<IDisposable> playMode = new List<IDisposable>();
        static readonly List<IDisposable> editor = new List<IDisposable>();

        public static void Register(IDisposable owner, bool playModeScope)
        {
            var owners = playModeScope ? playMode : editor;
            lock (gate) owners.Add(owner);
        }

        public static void Unregister(IDisposable owner)
        {
            lock (gate)
            {
                playMode.Remove(owner);
                editor.Remove(owner);
            }
        }

        /// <summary>Dispose every play-mode client (also safe to call by hand).</summary>
        public static void ClosePlayModeClients()
        {
            CloseAll(playMode);
        }

        public static void CloseEverything()
        {
            CloseAll(playMode);
            CloseAll(editor);
        }

        static void CloseAll(List<IDisposable> owners)
        {
            IDisposable[] snapshot;
            lock (gate)
            {
                snapshot = owners.ToArray();
                owners.Clear();
            }
            foreach (var owner in snapshot)
            {
                try { owner.Dispose(); }
                catch (Exception e) { Debug.LogException(e); }
            }
        }

        [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.SubsystemRegistration)]
        static void HookPlayer()
        {
            // With domain reload off (Enter Play Mode Options) statics survive: hook once.
            Application.quitting -= ClosePlayModeClients;
            Application.quitting += ClosePlayModeClients;
        }

#if UNITY_EDITOR
        [UnityEditor.InitializeOnLoadMethod]
        static void HookEditor()
        {
            UnityEditor.EditorApplication.playModeStateChanged -= OnPlayModeChanged;
            UnityEditor.EditorApplication.playModeStateChanged += OnPlayModeChanged;
            UnityEditor.AssemblyReloadEvents.beforeAssemblyReload -= CloseEverything;
            UnityEditor.AssemblyReloadEvents.beforeAssemblyReload += CloseEverything;
            UnityEditor.EditorApplication.quitting -= CloseEverything;
            UnityEditor.EditorApplication.quitting += CloseEverything;
        }

        static void OnPlayModeChanged(UnityEditor.PlayModeStateChange change)
        {
            if (change == UnityEditor.PlayModeStateChange.ExitingPlayMode) ClosePlayModeClients();
        }
#endif
    }
}
