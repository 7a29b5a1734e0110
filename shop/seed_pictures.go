package shop

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"sync"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"github.com/quarry-go/quarry/orm"
)

// The demo pictures are drawn, not downloaded: a studio-light background,
// the category's icon in the product's colour, and a badge with the
// initial of its maker, so that each product looks like itself and its
// shelf. They are the thumbnail's size, the width the product page shows
// them at, so that the upload makes its thumbnail by a copy rather than a
// scaling: seeding stays fast.
const (
	pictureWidth  = orm.ThumbnailWidth
	pictureHeight = orm.ThumbnailHeight
)

// The shapes are drawn on a 600 × 450 grid, scaled to the picture.
const gridScale = float32(pictureWidth) / 600

// pen draws on a rasterizer in grid coordinates.
type pen struct{ z *vector.Rasterizer }

func (p *pen) MoveTo(x, y float32) { p.z.MoveTo(x*gridScale, y*gridScale) }
func (p *pen) LineTo(x, y float32) { p.z.LineTo(x*gridScale, y*gridScale) }
func (p *pen) ClosePath()          { p.z.ClosePath() }
func (p *pen) CubeTo(bx, by, cx, cy, dx, dy float32) {
	p.z.CubeTo(bx*gridScale, by*gridScale, cx*gridScale, cy*gridScale, dx*gridScale, dy*gridScale)
}

// icon draws a category's shape on z, in a pictureWidth × pictureHeight
// frame; the shapes are filled, so a path drawn the other way round
// punches a hole.
type icon func(z *pen)

// seedIcons are the leaf categories' shapes, by slug.
var seedIcons = map[string]icon{
	"smartphones":       phoneIcon,
	"phone-accessories": boltIcon,
	"laptops":           laptopIcon,
	"monitors":          monitorIcon,
	"audio":             speakerIcon,
	"fiction":           bookIcon,
	"non-fiction":       openBookIcon,
	"kitchen":           kettleIcon,
	"garden":            plantIcon,
	"toys":              blocksIcon,
}

// drawPicture is a demo picture for category slug: its icon in ink on a
// tint of it, with letter on a badge.
func drawPicture(slug, letter string, ink color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, pictureWidth, pictureHeight))
	white := color.RGBA{255, 255, 255, 255}
	bg := mix(ink, white, 0.88)
	draw.Draw(img, img.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	// A floor and a soft shadow under the product.
	const k = float64(gridScale)
	draw.Draw(img, image.Rect(0, pictureHeight*4/5, pictureWidth, pictureHeight), image.NewUniform(mix(ink, white, 0.8)), image.Point{}, draw.Src)
	disc(img, 300*k, 362*k, 130*k, 10*k, mix(bg, color.RGBA{0, 0, 0, 255}, 0.18))
	z := vector.NewRasterizer(pictureWidth, pictureHeight)
	seedIcons[slug](&pen{z})
	z.Draw(img, img.Bounds(), image.NewUniform(ink), image.Point{})
	badge(img, letter, mix(ink, color.RGBA{0, 0, 0, 255}, 0.35))
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		panic(err) // encoding to memory does not fail
	}
	return buf.Bytes()
}

// disc fills an ellipse, its edge antialiased, touching only the pixels
// around it: cheaper than a rasterizer the size of the picture.
func disc(img *image.RGBA, cx, cy, rx, ry float64, c color.RGBA) {
	for y := int(cy - ry - 1); y <= int(cy+ry+1); y++ {
		for x := int(cx - rx - 1); x <= int(cx+rx+1); x++ {
			dx, dy := (float64(x)+0.5-cx)/rx, (float64(y)+0.5-cy)/ry
			// Distance outside the edge, in pixels along the shorter radius.
			d := (math.Sqrt(dx*dx+dy*dy) - 1) * min(rx, ry)
			a := min(max(0.5-d, 0), 1)
			if a == 0 {
				continue
			}
			under := img.RGBAAt(x, y)
			img.SetRGBA(x, y, mix(under, c, a))
		}
	}
}

// badgeFont is parsed once and shared; a Face is not safe for concurrent
// use (it rasterizes into its own buffers), and pictures are drawn in
// parallel, so each badge makes its own.
var badgeFont = sync.OnceValue(func() *opentype.Font {
	f, err := opentype.Parse(gobold.TTF)
	if err != nil {
		panic(err)
	}
	return f
})

// badge is a disc in the top left corner with letter on it.
func badge(img *image.RGBA, letter string, c color.RGBA) {
	const cx, cy, r = 42, 42, 24
	disc(img, cx, cy, r, r, c)
	face, err := opentype.NewFace(badgeFont(), &opentype.FaceOptions{Size: 28, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		panic(err) // a valid font and options: cannot happen
	}
	defer face.Close()
	d := font.Drawer{Dst: img, Src: image.NewUniform(color.White), Face: face}
	w := d.MeasureString(letter)
	m := face.Metrics()
	d.Dot = fixed.Point26_6{X: fixed.I(cx) - w/2, Y: fixed.I(cy) + (m.Ascent-m.Descent)/2 - fixed.I(2)}
	d.DrawString(letter)
}

// mix is a blended toward b by t (0: a, 1: b).
func mix(a, b color.RGBA, t float64) color.RGBA {
	l := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-t) + float64(y)*t)) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 255}
}

func rect(z *pen, x0, y0, x1, y1 float32) {
	z.MoveTo(x0, y0)
	z.LineTo(x1, y0)
	z.LineTo(x1, y1)
	z.LineTo(x0, y1)
	z.ClosePath()
}

// holeRect is rect drawn the other way round: inside a filled shape it
// cuts a window.
func holeRect(z *pen, x0, y0, x1, y1 float32) {
	z.MoveTo(x0, y0)
	z.LineTo(x0, y1)
	z.LineTo(x1, y1)
	z.LineTo(x1, y0)
	z.ClosePath()
}

// roundRect is a rectangle with corners of radius r; hole draws it the
// other way round.
func roundRect(z *pen, x0, y0, x1, y1, r float32, hole bool) {
	const k = 0.5523 // a quarter circle as a cubic
	if !hole {
		z.MoveTo(x0+r, y0)
		z.LineTo(x1-r, y0)
		z.CubeTo(x1-r+r*k, y0, x1, y0+r-r*k, x1, y0+r)
		z.LineTo(x1, y1-r)
		z.CubeTo(x1, y1-r+r*k, x1-r+r*k, y1, x1-r, y1)
		z.LineTo(x0+r, y1)
		z.CubeTo(x0+r-r*k, y1, x0, y1-r+r*k, x0, y1-r)
		z.LineTo(x0, y0+r)
		z.CubeTo(x0, y0+r-r*k, x0+r-r*k, y0, x0+r, y0)
	} else {
		z.MoveTo(x0+r, y0)
		z.CubeTo(x0+r-r*k, y0, x0, y0+r-r*k, x0, y0+r)
		z.LineTo(x0, y1-r)
		z.CubeTo(x0, y1-r+r*k, x0+r-r*k, y1, x0+r, y1)
		z.LineTo(x1-r, y1)
		z.CubeTo(x1-r+r*k, y1, x1, y1-r+r*k, x1, y1-r)
		z.LineTo(x1, y0+r)
		z.CubeTo(x1, y0+r-r*k, x1-r+r*k, y0, x1-r, y0)
	}
	z.ClosePath()
}

func ellipse(z *pen, cx, cy, rx, ry float32, hole bool) {
	const k = 0.5523
	sy := float32(1)
	if hole {
		sy = -1
	}
	z.MoveTo(cx+rx, cy)
	z.CubeTo(cx+rx, cy+sy*ry*k, cx+rx*k, cy+sy*ry, cx, cy+sy*ry)
	z.CubeTo(cx-rx*k, cy+sy*ry, cx-rx, cy+sy*ry*k, cx-rx, cy)
	z.CubeTo(cx-rx, cy-sy*ry*k, cx-rx*k, cy-sy*ry, cx, cy-sy*ry)
	z.CubeTo(cx+rx*k, cy-sy*ry, cx+rx, cy-sy*ry*k, cx+rx, cy)
	z.ClosePath()
}

// hole is polygon drawn the other way round.
func hole(z *pen, pts ...float32) {
	rev := make([]float32, 0, len(pts))
	for i := len(pts) - 2; i >= 0; i -= 2 {
		rev = append(rev, pts[i], pts[i+1])
	}
	polygon(z, rev...)
}

func polygon(z *pen, pts ...float32) {
	z.MoveTo(pts[0], pts[1])
	for i := 2; i+1 < len(pts); i += 2 {
		z.LineTo(pts[i], pts[i+1])
	}
	z.ClosePath()
}

func phoneIcon(z *pen) {
	roundRect(z, 235, 60, 365, 355, 22, false)
	roundRect(z, 247, 90, 353, 315, 6, true) // the screen
	ellipse(z, 300, 335, 9, 9, true)         // the button
}

func boltIcon(z *pen) {
	// A charger: a plug's body with its prongs, and a bolt cut out of it.
	roundRect(z, 225, 130, 375, 340, 24, false)
	rect(z, 262, 75, 280, 130)
	rect(z, 320, 75, 338, 130)
	polygon(z, 310, 160, 262, 250, 296, 250, 282, 315, 340, 215, 304, 215, 322, 160) // anticlockwise: a hole
}

func laptopIcon(z *pen) {
	roundRect(z, 180, 110, 420, 290, 12, false)
	holeRect(z, 196, 126, 404, 274)
	polygon(z, 150, 300, 450, 300, 470, 330, 130, 330)
}

func monitorIcon(z *pen) {
	roundRect(z, 145, 80, 455, 280, 10, false)
	holeRect(z, 160, 95, 440, 262)
	rect(z, 285, 280, 315, 325)
	roundRect(z, 235, 322, 365, 340, 6, false)
}

func speakerIcon(z *pen) {
	roundRect(z, 225, 70, 375, 350, 20, false)
	ellipse(z, 300, 270, 48, 48, true)
	ellipse(z, 300, 270, 18, 18, false)
	ellipse(z, 300, 150, 26, 26, true)
}

func bookIcon(z *pen) {
	roundRect(z, 220, 65, 390, 350, 8, false)
	holeRect(z, 238, 65, 246, 350)  // the spine's groove
	holeRect(z, 270, 120, 365, 160) // the title label
	roundRect(z, 270, 175, 345, 185, 3, true)
}

func openBookIcon(z *pen) {
	polygon(z, 300, 130, 300, 340, 160, 310, 160, 100)
	polygon(z, 300, 130, 440, 100, 440, 310, 300, 340)
	// The pages' lines, cut out.
	for i := float32(0); i < 4; i++ {
		y := 150 + i*35
		polygon(z, 185, y, 185, y+8, 280, y+20, 280, y+12)
		polygon(z, 320, y+12, 320, y+20, 415, y+8, 415, y)
	}
}

func kettleIcon(z *pen) {
	// The body, widest at the base, and its lid's knob.
	z.MoveTo(240, 160)
	z.LineTo(360, 160)
	z.CubeTo(385, 220, 400, 290, 395, 345)
	z.LineTo(205, 345)
	z.CubeTo(200, 290, 215, 220, 240, 160)
	z.ClosePath()
	roundRect(z, 230, 145, 370, 165, 8, false)
	ellipse(z, 300, 135, 16, 12, false)
	// The spout and the handle, a ring.
	polygon(z, 215, 250, 150, 185, 140, 195, 205, 300)
	ellipse(z, 300, 125, 95, 70, false)
	ellipse(z, 300, 125, 78, 54, true)
}

func plantIcon(z *pen) {
	polygon(z, 235, 250, 365, 250, 345, 350, 255, 350) // the pot
	rect(z, 225, 235, 375, 258)
	rect(z, 296, 150, 304, 236) // the stem
	// Leaves.
	z.MoveTo(300, 200)
	z.CubeTo(260, 200, 220, 170, 215, 120)
	z.CubeTo(265, 125, 295, 160, 300, 200)
	z.ClosePath()
	z.MoveTo(300, 170)
	z.CubeTo(340, 170, 385, 140, 390, 90)
	z.CubeTo(335, 95, 305, 130, 300, 170)
	z.ClosePath()
	ellipse(z, 300, 120, 18, 34, false)
}

func blocksIcon(z *pen) {
	roundRect(z, 180, 250, 290, 355, 10, false)
	roundRect(z, 310, 250, 420, 355, 10, false)
	roundRect(z, 245, 140, 355, 245, 10, false)
	ellipse(z, 300, 192, 20, 20, true)
	polygon(z, 235, 275, 235, 330, 255, 330, 255, 275)
	hole(z, 345, 280, 385, 280, 365, 325)
}
