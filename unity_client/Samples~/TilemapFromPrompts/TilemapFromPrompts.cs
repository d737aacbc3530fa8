// Sample: a level from words at runtime. On Start it opens one session, asks for a tileable
// texture per ground prompt and a few props per prop prompt, paints the tilemap with the ground
// tiles (Perlin noise picks which) as soon as they are all there, and drops each prop into the
// scene the moment it arrives. Seeds are fixed, so the second run comes from the disk cache.
//
// Scene setup: a Grid with a child Tilemap (GameObject > 2D Object > Tilemap > Rectangular), this
// component on any object with the Tilemap assigned, and an AssetGenSettings asset (or none for
// 127.0.0.1:50051). Start the server (`assetgen serve`) and press Play.
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using AssetGen.Client;
using AssetGen.Client.Core;
using UnityEngine;
using UnityEngine.Tilemaps;

namespace AssetGen.Samples
{
    public sealed class TilemapFromPrompts : MonoBehaviour
    {
        public AssetGenSettings settings;
        public Tilemap tilemap;
        public string[] groundPrompts = { "mossy cobblestone", "grass with small flowers", "dry cracked dirt" };
        public string[] propPrompts = { "wooden barrel", "rusty iron sword", "treasure chest", "small pine tree" };
        public Vector2Int mapSize = new Vector2Int(24, 16);
        public int tileSize = 64;
        public int propsPerPrompt = 3;
        public ulong seed = 1234;
        public float noiseScale = 0.15f;

        AssetGenClient client;
        readonly CancellationTokenSource quit = new CancellationTokenSource();
        readonly List<Object> made = new List<Object>();

        async void Start()
        {
            client = new AssetGenClient(settings);
            try
            {
                using (var session = client.OpenSession(quit.Token))
                {
                    var ground = new List<Task<List<GeneratedAsset>>>();
                    for (int i = 0; i < groundPrompts.Length; i++)
                        ground.Add(session.SubmitAsync(new AssetRequest(groundPrompts[i], AssetType.Texture, tileSize, seed + (ulong)i),
                                                       cancellationToken: quit.Token));
                    var props = new List<Task<List<GeneratedAsset>>>();
                    for (int i = 0; i < propPrompts.Length; i++)
                        props.Add(session.SubmitAsync(
                            new AssetRequest(propPrompts[i], AssetType.Prop, 0, seed + 100 + (ulong)(i * propsPerPrompt)) { Count = propsPerPrompt },
                            onAsset: PlaceProp, cancellationToken: quit.Token));

                    var tiles = new List<Tile>();
                    foreach (var task in ground)
                    {
                        var asset = (await task)[0];  // resumes on the main thread: Unity objects are fine here
                        tiles.Add(MakeTile(asset));
                    }
                    Paint(tiles);
                    await Task.WhenAll(props);
                }
                Debug.Log("AssetGen sample: level built");
            }
            catch (System.OperationCanceledException) { }
            catch (AssetGenException e)
            {
                Debug.LogError("AssetGen sample: " + e.Message + "  (is the server running at " + client.Settings.Uri + "?)");
            }
        }

        Tile MakeTile(GeneratedAsset asset)
        {
            // One texture pixel per tile pixel: the sprite fills exactly one cell of the grid.
            var sprite = asset.ToSprite(new Vector2(0.5f, 0.5f), asset.Width);
            sprite.texture.wrapMode = TextureWrapMode.Repeat;  // tileable: no seams at cell borders when filtered
            var tile = ScriptableObject.CreateInstance<Tile>();
            tile.sprite = sprite;
            tile.name = asset.Name;
            made.Add(sprite.texture);
            made.Add(sprite);
            made.Add(tile);
            return tile;
        }

        void Paint(List<Tile> tiles)
        {
            if (tiles.Count == 0 || tilemap == null) return;
            for (int x = 0; x < mapSize.x; x++)
            for (int y = 0; y < mapSize.y; y++)
            {
                float n = Mathf.PerlinNoise((x + (float)(seed % 997)) * noiseScale, y * noiseScale);
                int pick = Mathf.Clamp((int)(n * tiles.Count), 0, tiles.Count - 1);
                tilemap.SetTile(new Vector3Int(x, y, 0), tiles[pick]);
            }
        }

        void PlaceProp(GeneratedAsset asset)
        {
            // Called on the main thread as each prop arrives. Props pivot at the bottom centre: they stand on the ground.
            var sprite = asset.ToSprite(new Vector2(0.5f, 0f), asset.Width);
            var random = new System.Random((int)(asset.Seed % int.MaxValue));
            var prop = new GameObject(asset.Name);
            prop.transform.SetParent(transform, false);
            Vector3 cell = new Vector3(random.Next(1, mapSize.x - 1) + 0.5f, random.Next(1, mapSize.y - 1), 0f);
            prop.transform.position = tilemap != null ? tilemap.transform.TransformPoint(cell) : cell;
            var renderer = prop.AddComponent<SpriteRenderer>();
            renderer.sprite = sprite;
            renderer.sortingOrder = 10 - (int)cell.y;  // lower props in front
            made.Add(sprite.texture);
            made.Add(sprite);
        }

        void OnDestroy()
        {
            quit.Cancel();
            if (client != null) client.Dispose();
            foreach (var o in made) if (o != null) Destroy(o);
        }
    }
}
