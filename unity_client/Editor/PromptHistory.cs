// The designer's recent prompts and seeds, kept in EditorPrefs (per machine, across projects).
using System.Collections.Generic;
using AssetGen.Client.Core;
using UnityEditor;

namespace AssetGen.Client.Editor
{
    public sealed class PromptHistory
    {
        public const string PromptsKey = "AssetGen.History.Prompts";
        public const string SeedsKey = "AssetGen.History.Seeds";
        public const int Capacity = 20;

        readonly RecentList prompts;
        readonly RecentList seeds;

        PromptHistory(RecentList prompts, RecentList seeds)
        {
            this.prompts = prompts;
            this.seeds = seeds;
        }

        public static PromptHistory Load()
        {
            return new PromptHistory(RecentList.Parse(EditorPrefs.GetString(PromptsKey, ""), Capacity),
                                     RecentList.Parse(EditorPrefs.GetString(SeedsKey, ""), Capacity));
        }

        public IList<string> Prompts { get { return prompts.Items; } }
        public IList<string> Seeds { get { return seeds.Items; } }

        public void Remember(string prompt, ulong seed)
        {
            prompts.Add(prompt.Trim());
            seeds.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
            EditorPrefs.SetString(PromptsKey, prompts.Serialize());
            EditorPrefs.SetString(SeedsKey, seeds.Serialize());
        }

        public static void Clear()
        {
            EditorPrefs.DeleteKey(PromptsKey);
            EditorPrefs.DeleteKey(SeedsKey);
        }
    }
}
