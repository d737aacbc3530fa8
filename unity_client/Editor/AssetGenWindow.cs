// Window > AssetGen > Generator: the level designer's tool. Type a prompt, pick kind, size, count
// and seed (locked to reproduce, or a fresh random one each time), watch previews fill a grid as
// the server streams them, tick the good ones and save them into Assets/ with the right import
// settings. Prompts and seeds go into a history (EditorPrefs). Every request carries a seed (a
// random one is drawn here), so each preview can be reproduced and is cached on disk.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using AssetGen.Client.Core;
using UnityEditor;
using UnityEngine;

namespace AssetGen.Client.Editor
{
    public sealed class AssetGenWindow : EditorWindow
    {
        static readonly AssetType[] Kinds = { AssetType.Texture, AssetType.Sprite, AssetType.Prop };
        static readonly string[] KindLabels = { "Texture (tileable)", "Sprite", "Prop" };
        const float Cell = 128f;

        sealed class Preview
        {
            public GeneratedAsset Asset;
            public Texture2D Texture;
            public bool Selected;
        }

        [SerializeField] AssetGenSettings settings;
        [SerializeField] string prompt = "";
        [SerializeField] int kindIndex;
        [SerializeField] int size = 64;
        [SerializeField] int count = 4;
        [SerializeField] bool seedLocked;
        [SerializeField] string seedText = "1";
        [SerializeField] string saveFolder = "Assets/Generated";
        [SerializeField] bool tilePreview = true;

        readonly List<Preview> previews = new List<Preview>();
        PromptHistory history;
        AssetGenClient client;
        AssetGenSettings clientSettings;
        AssetGenSettings defaultSettings;
        CancellationTokenSource running;
        string status = "";
        MessageType statusType = MessageType.None;
        Vector2 scroll;
        int[] sizes = ClientDefaults.EditorSizes;
        readonly System.Random random = new System.Random();

        [MenuItem("Window/AssetGen/Generator")]
        public static void Open()
        {
            GetWindow<AssetGenWindow>("AssetGen");
        }

        void OnEnable()
        {
            history = PromptHistory.Load();
        }

        void OnDisable()
        {
            CancelRun();
            if (client != null) client.Dispose();
            client = null;
            ClearPreviews();
        }

        void OnGUI()
        {
            settings = (AssetGenSettings)EditorGUILayout.ObjectField("Connection", settings, typeof(AssetGenSettings), false);
            if (settings == null) EditorGUILayout.HelpBox("No settings asset: using Resources/AssetGenSettings or 127.0.0.1:50051.", MessageType.None);

            using (new EditorGUILayout.HorizontalScope())
            {
                EditorGUILayout.PrefixLabel("Prompt");
                prompt = EditorGUILayout.TextArea(prompt, GUILayout.MinHeight(38));
                int picked = EditorGUILayout.Popup(-1, Labels(history.Prompts), GUILayout.Width(18));
                if (picked >= 0) prompt = history.Prompts[picked];
            }
            kindIndex = EditorGUILayout.Popup("Kind", kindIndex, KindLabels);
            size = EditorGUILayout.IntPopup("Size", size, Labels(sizes), sizes);
            count = EditorGUILayout.IntSlider("Count", count, 1, 16);
            using (new EditorGUILayout.HorizontalScope())
            {
                seedLocked = EditorGUILayout.ToggleLeft("Lock seed", seedLocked, GUILayout.Width(80));
                using (new EditorGUI.DisabledScope(!seedLocked)) seedText = EditorGUILayout.TextField(seedText);
                int picked = EditorGUILayout.Popup(-1, Labels(history.Seeds), GUILayout.Width(18));
                if (picked >= 0) { seedText = history.Seeds[picked]; seedLocked = true; }
                if (GUILayout.Button("New", GUILayout.Width(44))) { seedText = RandomSeed().ToString(CultureInfo.InvariantCulture); seedLocked = true; }
            }

            using (new EditorGUILayout.HorizontalScope())
            {
                using (new EditorGUI.DisabledScope(running != null))
                    if (GUILayout.Button("Generate", GUILayout.Height(24))) Generate();
                using (new EditorGUI.DisabledScope(running == null))
                    if (GUILayout.Button("Cancel", GUILayout.Width(70), GUILayout.Height(24))) CancelRun();
            }
            if (status.Length > 0) EditorGUILayout.HelpBox(status, statusType);

            DrawGrid();

            EditorGUILayout.Space();
            using (new EditorGUILayout.HorizontalScope())
            {
                saveFolder = EditorGUILayout.TextField("Save into", saveFolder);
                tilePreview = EditorGUILayout.ToggleLeft("2x2 tiles", tilePreview, GUILayout.Width(72));
            }
            using (new EditorGUI.DisabledScope(!previews.Exists(p => p.Selected)))
                if (GUILayout.Button("Save selected")) SaveSelected();
        }

        void DrawGrid()
        {
            int columns = Mathf.Max(1, (int)((position.width - 16) / (Cell + 8)));
            scroll = EditorGUILayout.BeginScrollView(scroll, GUILayout.ExpandHeight(true));
            for (int start = 0; start < previews.Count; start += columns)
            {
                using (new EditorGUILayout.HorizontalScope())
                {
                    for (int i = start; i < Mathf.Min(start + columns, previews.Count); i++)
                    {
                        var preview = previews[i];
                        using (new EditorGUILayout.VerticalScope(GUILayout.Width(Cell)))
                        {
                            Rect rect = GUILayoutUtility.GetRect(Cell, Cell, GUILayout.Width(Cell), GUILayout.Height(Cell));
                            EditorGUI.DrawTextureTransparent(rect, Texture2D.blackTexture);
                            bool tiles = tilePreview && preview.Asset.Asset.Tileable;
                            // Four copies side by side show the seams a tileable texture must not have.
                            GUI.DrawTextureWithTexCoords(rect, preview.Texture, tiles ? new Rect(0, 0, 2, 2) : new Rect(0, 0, 1, 1), true);
                            preview.Selected = EditorGUILayout.ToggleLeft("seed " + preview.Asset.Seed + (preview.Asset.FromCache ? " (cache)" : ""),
                                                                          preview.Selected, GUILayout.Width(Cell));
                        }
                    }
                }
            }
            EditorGUILayout.EndScrollView();
        }

        async void Generate()
        {
            ulong seed;
            if (!seedLocked) seed = RandomSeed();
            else if (!ulong.TryParse(seedText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out seed))
            {
                SetStatus("seed '" + seedText + "' is not a whole number in 0.." + ulong.MaxValue + "; type one or unlock the seed", MessageType.Error);
                return;
            }
            var request = new AssetRequest(prompt, Kinds[kindIndex], size, seed) { Count = count, Format = AssetFormat.Rgba8 };
            try { RequestValidator.Validate(request); }
            catch (AssetRequestException e) { SetStatus(e.Message, MessageType.Error); return; }

            history.Remember(prompt, seed);
            if (!seedLocked) seedText = seed.ToString(CultureInfo.InvariantCulture);
            ClearPreviews();
            running = new CancellationTokenSource();
            SetStatus("generating " + request + " ...", MessageType.Info);
            var token = running.Token;
            try
            {
                var filter = Client().Settings.filterMode;
                await Client().StreamAsync(request, asset =>
                {
                    previews.Add(new Preview { Asset = asset, Texture = asset.ToTexture(filter, keepReadable: true), Selected = false });
                    Repaint();
                }, token);
                SetStatus(previews.Count + " of " + request.Count + " done (seeds " + seed + ".." + (seed + (ulong)(request.Count - 1)) + ")", MessageType.Info);
            }
            catch (OperationCanceledException) { SetStatus("cancelled", MessageType.Warning); }
            catch (AssetGenException e) { SetStatus(e.Message, MessageType.Error); }
            catch (Exception e) { SetStatus(e.GetType().Name + ": " + e.Message, MessageType.Error); Debug.LogException(e); }
            finally
            {
                if (running != null) running.Dispose();
                running = null;
                Repaint();
            }
        }

        void SaveSelected()
        {
            float ppu = Client().Settings.pixelsPerUnit;
            var saved = new List<UnityEngine.Object>();
            foreach (var preview in previews)
            {
                if (!preview.Selected) continue;
                try
                {
                    string path = AssetSaver.Save(preview.Asset, preview.Texture, saveFolder, ppu);
                    saved.Add(AssetDatabase.LoadMainAssetAtPath(path));
                    preview.Selected = false;
                }
                catch (Exception e)
                {
                    SetStatus("could not save seed " + preview.Asset.Seed + ": " + e.Message, MessageType.Error);
                    return;
                }
            }
            Selection.objects = saved.ToArray();
            SetStatus("saved " + saved.Count + " asset(s) into " + saveFolder, MessageType.Info);
        }

        AssetGenClient Client()
        {
            if (settings == null && defaultSettings == null) defaultSettings = AssetGenSettings.LoadDefault();
            var wanted = settings != null ? settings : defaultSettings;
            if (client != null && clientSettings == wanted) return client;
            if (client != null) client.Dispose();
            client = new AssetGenClient(wanted);
            clientSettings = wanted;
            return client;
        }

        void CancelRun()
        {
            if (running != null) running.Cancel();
        }

        void ClearPreviews()
        {
            foreach (var preview in previews)
                if (preview.Texture != null) DestroyImmediate(preview.Texture);
            previews.Clear();
        }

        void SetStatus(string text, MessageType type)
        {
            status = text;
            statusType = type;
            Repaint();
        }

        ulong RandomSeed()
        {
            return (ulong)random.Next(0, int.MaxValue);  // short seeds, like the server's own: easy to read aloud and type back
        }

        static string[] Labels(IList<string> items)
        {
            var labels = new string[items.Count];
            for (int i = 0; i < items.Count; i++) labels[i] = items[i].Replace('/', '\u2215');  // '/' would make a submenu
            return labels;
        }

        static string[] Labels(int[] values)
        {
            var labels = new string[values.Length];
            for (int i = 0; i < values.Length; i++) labels[i] = values[i] + " px";
            return labels;
        }
    }
}
