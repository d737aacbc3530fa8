// A small JSON reader and writer: the disk cache's metadata and the golden test vectors.
// UnityEngine.JsonUtility is not available here (no engine references) and a JSON package would
// be one more dependency for a game to install. Objects read as Dictionary<string, object>,
// arrays as List<object>; integers as ulong (non-negative) or long, other numbers as double.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace AssetGen.Client.Core
{
    public static class MiniJson
    {
        public static object Parse(string text)
        {
            if (text == null) throw new ArgumentNullException("text");
            var reader = new Reader(text);
            object value = reader.Value();
            reader.SkipSpace();
            if (!reader.AtEnd) throw reader.Error("unexpected text after the JSON value");
            return value;
        }

        public static string Serialize(object value)
        {
            var text = new StringBuilder();
            Write(text, value);
            return text.ToString();
        }

        // Readers for the values Parse returns, with errors that name the field.
        public static Dictionary<string, object> Object(object value, string what)
        {
            var dict = value as Dictionary<string, object>;
            if (dict == null) throw new FormatException(what + " is not a JSON object");
            return dict;
        }

        public static List<object> Array(Dictionary<string, object> obj, string field)
        {
            var list = Get(obj, field) as List<object>;
            if (list == null) throw new FormatException("'" + field + "' is not a JSON array");
            return list;
        }

        public static string String(Dictionary<string, object> obj, string field)
        {
            var text = Get(obj, field) as string;
            if (text == null) throw new FormatException("'" + field + "' is not a string");
            return text;
        }

        public static ulong ULong(Dictionary<string, object> obj, string field)
        {
            object value = Get(obj, field);
            if (value is ulong) return (ulong)value;
            throw new FormatException("'" + field + "' is not a non-negative integer");
        }

        public static int Int(Dictionary<string, object> obj, string field)
        {
            object value = Get(obj, field);
            if (value is ulong && (ulong)value <= int.MaxValue) return (int)(ulong)value;
            if (value is long && (long)value >= int.MinValue) return (int)(long)value;
            throw new FormatException("'" + field + "' is not a 32-bit integer");
        }

        /// <summary>Any JSON number as a double (integers too: Python writes 1.0 as 1.0, but a hand-written 1 is fine).</summary>
        public static double Double(Dictionary<string, object> obj, string field)
        {
            object value = Get(obj, field);
            if (value is double) return (double)value;
            if (value is ulong) return (ulong)value;
            if (value is long) return (long)value;
            throw new FormatException("'" + field + "' is not a number");
        }

        /// <summary>A double stored as the 16 hex digits of its IEEE-754 bits (CacheKey.FloatBits).</summary>
        public static double BitsDouble(Dictionary<string, object> obj, string field)
        {
            string text = String(obj, field);
            ulong bits;
            if (text.Length != 16 || !ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bits))
                throw new FormatException("'" + field + "' is not 16 hex digits");
            return BitConverter.Int64BitsToDouble(unchecked((long)bits));
        }

        public static bool Bool(Dictionary<string, object> obj, string field)
        {
            object value = Get(obj, field);
            if (value is bool) return (bool)value;
            throw new FormatException("'" + field + "' is not true or false");
        }

        public static bool Has(Dictionary<string, object> obj, string field)
        {
            object value;
            return obj.TryGetValue(field, out value) && value != null;
        }

        static object Get(Dictionary<string, object> obj, string field)
        {
            object value;
            if (!obj.TryGetValue(field, out value)) throw new FormatException("missing field '" + field + "'");
            return value;
        }

        static void Write(StringBuilder text, object value)
        {
            if (value == null) { text.Append("null"); return; }
            var s = value as string;
            if (s != null) { WriteString(text, s); return; }
            if (value is bool) { text.Append((bool)value ? "true" : "false"); return; }
            if (value is int || value is long || value is uint || value is ulong || value is short || value is byte)
            {
                text.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            }
            if (value is double || value is float)
            {
                double d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsNaN(d) || double.IsInfinity(d)) throw new ArgumentException("JSON has no NaN or infinity");
                text.Append(d.ToString("R", CultureInfo.InvariantCulture));
                return;
            }
            var dict = value as IDictionary;
            if (dict != null)
            {
                text.Append('{');
                bool first = true;
                foreach (DictionaryEntry entry in dict)
                {
                    if (!first) text.Append(',');
                    first = false;
                    WriteString(text, (string)entry.Key);
                    text.Append(':');
                    Write(text, entry.Value);
                }
                text.Append('}');
                return;
            }
            var list = value as IEnumerable;
            if (list != null)
            {
                text.Append('[');
                bool first = true;
                foreach (object item in list)
                {
                    if (!first) text.Append(',');
                    first = false;
                    Write(text, item);
                }
                text.Append(']');
                return;
            }
            throw new ArgumentException("cannot write a " + value.GetType() + " as JSON");
        }

        static void WriteString(StringBuilder text, string s)
        {
            text.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': text.Append("\\\""); break;
                    case '\\': text.Append("\\\\"); break;
                    case '\n': text.Append("\\n"); break;
                    case '\r': text.Append("\\r"); break;
                    case '\t': text.Append("\\t"); break;
                    default:
                        if (c < 0x20) text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else text.Append(c);
                        break;
                }
            }
            text.Append('"');
        }

        sealed class Reader
        {
            readonly string text;
            int pos;

            public Reader(string text) { this.text = text; }

            public bool AtEnd { get { return pos >= text.Length; } }

            public FormatException Error(string what)
            {
                return new FormatException("JSON: " + what + " at character " + pos);
            }

            public void SkipSpace()
            {
                while (pos < text.Length && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r')) pos++;
            }

            public object Value()
            {
                SkipSpace();
                if (AtEnd) throw Error("unexpected end");
                char c = text[pos];
                if (c == '{') return ObjectValue();
                if (c == '[') return ArrayValue();
                if (c == '"') return StringValue();
                if (Literal("true")) return true;
                if (Literal("false")) return false;
                if (Literal("null")) return null;
                if (c == '-' || (c >= '0' && c <= '9')) return NumberValue();
                throw Error("unexpected character '" + c + "'");
            }

            bool Literal(string word)
            {
                if (string.CompareOrdinal(text, pos, word, 0, word.Length) != 0) return false;
                pos += word.Length;
                return true;
            }

            Dictionary<string, object> ObjectValue()
            {
                var result = new Dictionary<string, object>();
                pos++;
                SkipSpace();
                if (!AtEnd && text[pos] == '}') { pos++; return result; }
                while (true)
                {
                    SkipSpace();
                    if (AtEnd || text[pos] != '"') throw Error("expected a field name");
                    string key = StringValue();
                    SkipSpace();
                    if (AtEnd || text[pos] != ':') throw Error("expected ':'");
                    pos++;
                    result[key] = Value();
                    SkipSpace();
                    if (AtEnd) throw Error("unterminated object");
                    if (text[pos] == ',') { pos++; continue; }
                    if (text[pos] == '}') { pos++; return result; }
                    throw Error("expected ',' or '}'");
                }
            }

            List<object> ArrayValue()
            {
                var result = new List<object>();
                pos++;
                SkipSpace();
                if (!AtEnd && text[pos] == ']') { pos++; return result; }
                while (true)
                {
                    result.Add(Value());
                    SkipSpace();
                    if (AtEnd) throw Error("unterminated array");
                    if (text[pos] == ',') { pos++; continue; }
                    if (text[pos] == ']') { pos++; return result; }
                    throw Error("expected ',' or ']'");
                }
            }

            string StringValue()
            {
                var result = new StringBuilder();
                pos++;
                while (true)
                {
                    if (AtEnd) throw Error("unterminated string");
                    char c = text[pos++];
                    if (c == '"') return result.ToString();
                    if (c != '\\') { result.Append(c); continue; }
                    if (AtEnd) throw Error("unterminated escape");
                    char e = text[pos++];
                    switch (e)
                    {
                        case '"': result.Append('"'); break;
                        case '\\': result.Append('\\'); break;
                        case '/': result.Append('/'); break;
                        case 'b': result.Append('\b'); break;
                        case 'f': result.Append('\f'); break;
                        case 'n': result.Append('\n'); break;
                        case 'r': result.Append('\r'); break;
                        case 't': result.Append('\t'); break;
                        case 'u':
                            if (pos + 4 > text.Length) throw Error("short \\u escape");
                            result.Append((char)int.Parse(text.Substring(pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                            pos += 4;
                            break;
                        default: throw Error("unknown escape '\\" + e + "'");
                    }
                }
            }

            object NumberValue()
            {
                int start = pos;
                if (text[pos] == '-') pos++;
                bool integer = true;
                while (pos < text.Length)
                {
                    char c = text[pos];
                    if (c >= '0' && c <= '9') { pos++; continue; }
                    if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') { integer = false; pos++; continue; }
                    break;
                }
                string number = text.Substring(start, pos - start);
                if (integer)
                {
                    ulong u;
                    if (number[0] != '-' && ulong.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out u)) return u;
                    long l;
                    if (long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l)) return l;
                }
                double d;
                if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out d)) return d;
                throw Error("bad number '" + number + "'");
            }
        }
    }
}
