// Most-recent-first list without duplicates, capped: the editor window's prompt and seed history.
// Stored as one string (EditorPrefs holds strings) with a separator no prompt contains.
using System;
using System.Collections.Generic;

namespace AssetGen.Client.Core
{
    public sealed class RecentList
    {
        public const char Separator = '\u001e';  // ASCII record separator
        readonly List<string> items = new List<string>();
        public readonly int Capacity;

        public RecentList(int capacity)
        {
            if (capacity < 1) throw new ArgumentException("capacity must be at least 1");
            Capacity = capacity;
        }

        public IList<string> Items { get { return items.AsReadOnly(); } }

        /// <summary>Put <paramref name="value"/> first (moving it if present) and drop the oldest past Capacity.</summary>
        public void Add(string value)
        {
            if (string.IsNullOrEmpty(value)) return;
            value = value.Replace(Separator, ' ');
            items.Remove(value);
            items.Insert(0, value);
            while (items.Count > Capacity) items.RemoveAt(items.Count - 1);
        }

        public string Serialize()
        {
            return string.Join(Separator.ToString(), items.ToArray());
        }

        public static RecentList Parse(string stored, int capacity)
        {
            var list = new RecentList(capacity);
            if (string.IsNullOrEmpty(stored)) return list;
            foreach (var item in stored.Split(Separator))
                if (item.Length > 0 && !list.items.Contains(item) && list.items.Count < capacity) list.items.Add(item);
            return list;
        }
    }
}
