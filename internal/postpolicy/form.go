package postpolicy

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"

	"coffer/internal/errs"
)

// Bounds of the fields before the file, which are held in memory.
const (
	MaxFieldsSize = 1 << 20 // bytes of names and values together
	MaxFields     = 1000
)

// Field is one form field.
type Field struct{ Name, Value string }

// Form is a POST Object form read up to its file: the fields before it, in
// order, and the file's content as a stream. Fields after the file are
// never read (AWS ignores them).
type Form struct {
	Fields []Field
	// File streams the file's content; reading it reads the request body.
	File io.Reader
	// FileName is the file part's filename parameter, as sent.
	FileName string
	// FileContentType is the file part's own Content-Type.
	FileContentType string
}

// Get returns the value of the field named name (case-insensitively).
func (f *Form) Get(name string) (string, bool) {
	for _, fl := range f.Fields {
		if strings.EqualFold(fl.Name, name) {
			return fl.Value, true
		}
	}
	return "", false
}

func malformedPOST(err error) error {
	return errs.Wrap(errs.MalformedPOSTRequest, err, "The body of your POST request is not well-formed multipart/form-data.")
}

// Boundary checks a request's Content-Type and returns its boundary.
func Boundary(contentType string) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.EqualFold(mt, "multipart/form-data") {
		return "", errs.Field(errs.PreconditionFailed, "Content-Type",
			"Bucket POST must be of the enclosure-type multipart/form-data")
	}
	b := params["boundary"]
	if b == "" {
		return "", malformedPOST(errors.New("no boundary"))
	}
	return b, nil
}

// ReadForm reads the fields of a multipart/form-data body up to the part
// named "file", whose content it leaves unread in Form.File.
func ReadForm(body io.Reader, boundary string) (*Form, error) {
	mr := multipart.NewReader(body, boundary)
	f := &Form{}
	size := 0
	seen := map[string]bool{}
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			return nil, errs.Field(errs.InvalidArgument, "file", "POST requires exactly one file upload per request.")
		}
		if err != nil {
			return nil, malformedPOST(err)
		}
		name, filename, err := disposition(part.Header.Get("Content-Disposition"))
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(name, "file") {
			f.File, f.FileName, f.FileContentType = part, filename, part.Header.Get("Content-Type")
			return f, nil
		}
		l := strings.ToLower(name)
		if seen[l] {
			return nil, errs.Field(errs.InvalidArgument, name, "Bucket POST must not contain more than one field named '%s'.", short(name))
		}
		seen[l] = true
		if len(f.Fields) >= MaxFields {
			return nil, malformedPOST(errors.New("too many fields"))
		}
		v, err := io.ReadAll(io.LimitReader(part, int64(MaxFieldsSize-size+1)))
		if err != nil {
			return nil, malformedPOST(err)
		}
		size += len(name) + len(v)
		if size > MaxFieldsSize {
			return nil, errs.New(errs.MalformedPOSTRequest, "The form fields before the file exceed %d bytes.", MaxFieldsSize)
		}
		f.Fields = append(f.Fields, Field{Name: name, Value: string(v)})
	}
}

// disposition reads a part's Content-Disposition: form-data; name="..."[;
// filename="..."].
func disposition(v string) (name, filename string, err error) {
	d, params, perr := mime.ParseMediaType(v)
	if perr != nil || !strings.EqualFold(d, "form-data") || params["name"] == "" {
		return "", "", malformedPOST(errors.New("a part without a form-data name"))
	}
	return params["name"], params["filename"], nil
}
